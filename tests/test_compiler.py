"""The compiler: types, folding, CSE, dead nodes, laziness, macros, keys."""

import numpy as np
import pytest

import pixelpipes as pp
from pixelpipes.compiler import compile_graph
from pixelpipes.types import List, String, Tensor


def kernels_of(pipeline):
    return [op.kernel for op in pipeline.program.code]


def test_types_are_inferred_and_reported():
    with pp.Graph() as graph:
        pp.Output(pp.SampleIndex(), "i")
        pp.Output(pp.Constant(np.zeros((2, 3), np.float32)), "a")
        pp.Output(pp.Constant("text"), "s")
        pp.Output(pp.Constant([np.zeros(2, np.uint8), np.zeros(3, np.uint8)]), "l")
    outs = {o.label: o for o in compile_graph(graph).outputs}
    assert outs["i"].type == "int64 scalar"
    assert outs["a"].dtype == "float32" and outs["a"].shape == [2, 3]
    assert outs["s"].type == "string"
    assert outs["l"].type == "list[2] of uint8 tensor[?]"


def test_type_error_names_node_and_site():
    with pp.Graph() as graph:
        index = pp.Constant("not a number")
        pp.Output(pp.Select(index, 1, 2), "x")   # the line named in the error
    with pytest.raises(pp.GraphError) as info:
        graph.compile()
    message = str(info.value)
    assert "Select" in message
    assert "test_compiler.py:" in message
    assert "scalar" in message


def test_conditional_branches_must_agree():
    with pp.Graph() as graph:
        pp.Output(pp.Conditional(pp.SampleIndex(), 1.5, "text"), "x")
    with pytest.raises(pp.GraphError, match="Conditional.*different kinds"):
        graph.compile()


def test_no_outputs_is_an_error():
    with pytest.raises(pp.GraphError, match="no outputs"):
        pp.Graph().compile()


def test_output_outside_graph_and_duplicate_labels():
    with pytest.raises(pp.GraphError, match="inside"):
        pp.Output(1, "x")
    with pp.Graph():
        pp.Output(1, "x")
        with pytest.raises(pp.GraphError, match="duplicate"):
            pp.Output(2, "x")


def test_node_has_no_truth_value():
    with pytest.raises(pp.GraphError, match="Conditional"):
        bool(pp.SampleIndex())


@pytest.mark.parametrize("seed", [-1, 2 ** 64, 1.5, "7"])
def test_bad_seed(seed):
    with pp.Graph() as graph:
        pp.Output(1, "x")
    with pytest.raises(pp.GraphError, match="seed"):
        graph.compile(seed=seed)


def test_constant_folding_runs_the_kernels_once():
    with pp.Graph() as graph:
        x = (pp.Constant(3) + 4) * 2
        pp.Output(x, "x")
        pp.Output(x + pp.SampleIndex(), "y")
    pipeline = graph.compile()
    assert kernels_of(pipeline) == ["sample_index", "add"]
    assert int(pipeline.run(5)["x"]) == 14
    assert int(pipeline.run(5)["y"]) == 19
    unoptimized = graph.compile(optimize=False)
    assert kernels_of(unoptimized).count("add") == 2
    assert int(unoptimized.run(5)["y"]) == 19


def test_folding_error_is_a_compile_error():
    with pp.Graph() as graph:
        pp.Output(pp.Select(5, "a", "b"), "x")
    with pytest.raises(pp.GraphError, match="Select.*out of range"):
        graph.compile()


def test_common_subexpressions_are_merged():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        j = pp.SampleIndex()
        pp.Output((i + 1) * (j + 1), "x")
    pipeline = graph.compile()
    assert kernels_of(pipeline) == ["sample_index", "add", "multiply"]
    assert int(pipeline.run(3)["x"]) == 16


def test_random_nodes_are_not_merged():
    with pp.Graph() as graph:
        pp.Output(pp.RandomUniform(0, 1) - pp.RandomUniform(0, 1), "d")
    pipeline = graph.compile(seed=3)
    assert kernels_of(pipeline).count("random_uniform") == 2
    assert float(pipeline.run(0)["d"]) != 0.0


def test_dead_nodes_are_removed():
    with pp.Graph() as graph:
        unused = pp.RandomNormal(0, 1) * 5  # noqa: F841 - never reaches an output
        pp.Output(pp.SampleIndex(), "i")
    assert kernels_of(graph.compile()) == ["sample_index"]


def test_conditional_runs_only_the_branch_taken():
    # The false branch fails for every sample it runs in; it must never run
    # when the condition holds.
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        failing = pp.Select(i + 100, 0, 1)
        pp.Output(pp.Conditional(i < 10, i * 2, failing), "x")
    pipeline = graph.compile()
    assert pipeline.batch(range(10))["x"].tolist() == [2 * i for i in range(10)]
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.run(11)
    assert info.value.sample == 11
    assert "Select" in str(info.value)


def test_node_shared_between_branch_and_main_line_runs_once():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        shared = i * 3
        pp.Output(pp.Conditional(i % 2, shared, 0) + shared, "x")
    pipeline = graph.compile()
    assert kernels_of(pipeline).count("multiply") == 1
    assert pipeline.batch(range(4))["x"].tolist() == [0, 6, 6, 18]


def test_nested_conditionals_and_select():
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        inner = pp.Conditional(i % 3, i * 10, i * 100)
        pp.Output(pp.Select(i % 2, inner, -i), "x")
    got = graph.compile().batch(range(8))["x"].tolist()
    assert got == [0, -1, 20, -3, 40, -5, 600, -7]


def test_constant_condition_is_folded_away():
    with pp.Graph() as graph:
        pp.Output(pp.Conditional(pp.Constant(1) > 2, pp.SampleIndex(), 7), "x")
    pipeline = graph.compile()
    assert kernels_of(pipeline) == []
    assert int(pipeline.run(3)["x"]) == 7


def test_variables():
    with pp.Graph() as graph:
        size = pp.Variable("size", 4)
        pp.Output(size * 2, "x")
    assert int(graph.compile().run(0)["x"]) == 8
    assert int(graph.compile(variables={"size": 10}).run(0)["x"]) == 20
    with pytest.raises(pp.GraphError, match="not used"):
        graph.compile(variables={"other": 1})


class Double(pp.Macro):
    """A macro that branches on the inferred type of its input."""

    def __init__(self, x):
        super().__init__(x)

    def expand(self, x):
        if isinstance(x.type, String):
            return pp.MakeList(x, x)
        return x * 2


def test_macro_expands_on_input_types():
    with pp.Graph() as graph:
        pp.Output(Double(pp.SampleIndex()), "n")
        pp.Output(Double("ab"), "s")
    pipeline = graph.compile()
    out = pipeline.run(21)
    assert int(out["n"]) == 42
    assert out["s"] == ["ab", "ab"]


class Noise(pp.Macro):
    def __init__(self, *, key=None):
        super().__init__(key=key)

    def expand(self):
        return pp.RandomUniform(0, 1)


def test_random_nodes_inside_macros_are_scoped():
    with pp.Graph() as graph:
        pp.Output(Noise(), "a")
        pp.Output(Noise(), "b")
        pp.Output(Noise(key="k"), "c")
        pp.Output(Noise(key="k"), "d")
    out = graph.compile(seed=5).run(0)
    assert out["a"] != out["b"]
    assert out["c"] == out["d"]


def test_unrelated_nodes_do_not_change_random_draws():
    def build(extra, rename):
        with pp.Graph() as graph:
            if extra:
                pp.Output(pp.RandomNormal(3, 1) + pp.SampleIndex(), "extra")
            x = pp.RandomUniform(0, 1, name="renamed" if rename else None)
            y = pp.RandomInteger(0, 1000)
            pp.Output(x, "x")
            pp.Output(y, "y")
        return graph.compile(seed=11).batch(range(20))

    base = build(False, False)
    for extra, rename in [(True, False), (False, True), (True, True)]:
        other = build(extra, rename)
        np.testing.assert_array_equal(base["x"], other["x"])
        np.testing.assert_array_equal(base["y"], other["y"])


def test_explain_is_readable():
    with pp.Graph() as graph:
        pp.Output(pp.Conditional(pp.SampleIndex() > 2, pp.RandomUniform(0, 1, name="u"), 0.5), "x")
    text = graph.compile(seed=2).explain()
    assert "random_uniform" in text and "'u'" in text
    assert "if not" in text and "output 'x'" in text


def test_folding_does_not_change_results():
    with pp.Graph() as graph:
        pp.Output(pp.Constant(np.full(2, 250, np.uint8)) + pp.MakeList(10, 20)[0], "weak")
        pp.Output(pp.ListToTensor(pp.Range(0)), "empty")
        pp.Output(pp.Constant([1.5, 4]), "mixed")
        pp.Output(pp.Constant([[], [1]]), "nested")
    folded, plain = graph.compile().run(0), graph.compile(optimize=False).run(0)
    assert folded["weak"].dtype == plain["weak"].dtype == np.uint8
    np.testing.assert_array_equal(folded["weak"], [4, 4])
    assert folded["empty"].shape == plain["empty"].shape == (0,)
    assert [float(x) for x in folded["mixed"]] == [1.5, 4.0]
    assert folded["mixed"][1].dtype == np.float64
    assert len(folded["nested"]) == 2 and folded["nested"][0] == []


def test_bad_constant_is_a_graph_error_naming_the_site():
    with pytest.raises(pp.GraphError, match=r"Constant.*test_compiler.py.*different kinds"):
        pp.Constant([np.zeros(2), "x"])


def test_nodes_shared_by_branches_are_hoisted_not_copied():
    # 12 chained toggles: copying shared upstream code into both branches of
    # each would double the program 12 times.
    with pp.Graph() as graph:
        x = pp.SampleIndex() * 1
        for k in range(12):
            x = pp.Toggle(0.5, x + k, x)
        pp.Output(x, "x")
    pipeline = graph.compile(seed=1)
    assert len(pipeline.program.code) < 12 * 8
    assert [op.kernel for op in pipeline.program.code].count("add") == 12
    values = pipeline.batch(range(50))["x"]
    reference = []
    for i in range(50):
        reference.append(int(pipeline.run(i)["x"]))
    assert values.tolist() == reference
    assert all(i <= v <= i + sum(range(12)) for i, v in enumerate(values.tolist()))


def test_image_ops_keep_static_shapes():
    """Fixed-shape image outputs go straight into batch arrays: the types of
    shape-preserving ops must keep the height and width."""
    image = np.zeros((50, 60, 3), np.uint8)
    with pp.Graph() as graph:
        x = pp.RandomChoice([image, image.copy()])
        pp.Output(pp.ColorJitter(x, 0.4, 0.4, 0.4), "jitter")
        pp.Output(pp.Normalize(x, (0.5,) * 3, (0.2,) * 3), "normalized")
        pp.Output(pp.GaussianBlur(x, 2.0), "blur")
        pp.Output(pp.ToCHW(pp.RandomFlip(x)), "chw")
    outputs = {o.label: o for o in graph.compile().program.outputs}
    assert outputs["jitter"].shape == [50, 60, 3]
    assert outputs["normalized"].shape == [50, 60, 3] and outputs["normalized"].dtype == "float32"
    assert outputs["blur"].shape == [50, 60, 3]
    assert outputs["chw"].shape == [3, 50, 60]


def test_branches_of_a_shared_branching_node_stay_lazy():
    # s1 is used by every branch of s2, so it is hoisted in front of s2; its
    # own failing branch must still run only when s1 takes it (odd samples).
    with pp.Graph() as graph:
        i = pp.SampleIndex()
        s1 = pp.Select(i % 2, i * 1, pp.Select(i + 100, 0, 1))
        s2 = pp.Select(i % 3, s1 + 1, s1 + 2, s1 + 3)
        pp.Output(s2, "x")
    pipeline = graph.compile()
    assert pipeline.batch([0, 2, 4, 6])["x"].tolist() == [1, 5, 6, 7]
    with pytest.raises(pp.ExecutionError) as info:
        pipeline.batch([0, 1, 2])
    assert info.value.sample == 1
