"""List operations against Python list semantics.

Every operation runs three ways: with constant inputs folded at compile time
(``graph.compile()``), with the same constants run by the kernels
(``optimize=False``), and with inputs only known at run time (picked from a
constant list by ``pp.SampleIndex()``, so that their static types are vaguer).
"""

import doctest
import os
import re
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pixelpipes as pp
import pixelpipes.ops.lists
from pixelpipes.types import List, Tensor

SETTINGS = settings(max_examples=30, deadline=None)
MODES = ["fold", "kernel", "dynamic"]
HERE = os.path.basename(__file__)   # error messages name the file that built the node
SITE = re.escape(HERE)
DTYPES = [np.bool_, np.uint8, np.int16, np.uint16, np.int32, np.int64, np.float32, np.float64]


# ---------------------------------------------------------------- helpers

def dynamic(value, decoy):
    """A value known only at run time: ``value`` in sample 0 and ``decoy`` in
    sample 1, so its static type is the join of both."""
    return pp.GetElement(pp.Constant([value, decoy]), pp.SampleIndex())


def make_input(value, mode, decoy=None):
    if mode != "dynamic":
        return pp.Constant(value)
    decoy = value if decoy is None else decoy
    if isinstance(value, list) and not value:
        # pp.Constant([[], decoy]) has no static type (an empty list's item
        # type does not join), so empty the decoy at run time instead.
        return pp.Sublist(pp.Constant(decoy), dynamic(10 ** 6, 0))
    return dynamic(value, decoy)


def evaluate(build, mode="fold", *, index=0, with_type=False):
    """Output ``build()`` for sample ``index``; optionally also its static type."""
    with pp.Graph() as graph:
        out = pp.Output(build(), "out")
    pipeline = graph.compile(seed=3, optimize=(mode == "fold"))
    value = pipeline.run(index)["out"]
    if with_type:
        return value, pipeline.program.outputs[0].type
    return value


def as_py(value):
    """Run results (arrays, strings, lists) as comparable Python objects."""
    if isinstance(value, list):
        return [as_py(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        value = np.asarray(value)
        return (value.dtype.str, value.shape, value.tolist())
    return value


def random_array(draw, dtype, shape):
    data = draw(st.lists(st.integers(0, 200), min_size=int(np.prod(shape)),
                         max_size=int(np.prod(shape))))
    return np.array(data, dtype=np.int64).reshape(shape).astype(dtype)


@st.composite
def array_lists(draw, min_size=0, max_size=6, max_rank=3):
    """A list of arrays of one dtype and random shapes."""
    dtype = draw(st.sampled_from(DTYPES))
    n = draw(st.integers(min_size, max_size))
    rank = draw(st.integers(0, max_rank))
    items = []
    for _ in range(n):
        shape = tuple(draw(st.lists(st.integers(0, 3), min_size=rank, max_size=rank)))
        items.append(random_array(draw, dtype, shape))
    return items


def with_decoy(items):
    """A list of the same kind whose length differs from ``items``."""
    return items + items[:1] if items else [np.zeros(2)]


def raises_execution(build, sample, *words, mode="kernel"):
    with pytest.raises(pp.ExecutionError) as err:
        evaluate(build, mode, index=sample)
    message = str(err.value)
    assert err.value.sample == sample
    assert f"sample {sample}" in message
    for w in words:
        assert w in message, message
    return err.value


def raises_graph(build, cls_name, *words, optimize=True):
    with pp.Graph() as graph:
        pp.Output(build(), "out")
    with pytest.raises(pp.GraphError) as err:
        graph.compile(optimize=optimize)
    message = str(err.value)
    assert cls_name in message and HERE in message, message
    for w in words:
        assert w in message, message
    return err.value


# ---------------------------------------------------------------- MakeList

@SETTINGS
@given(items=array_lists(min_size=1), mode=st.sampled_from(MODES))
def test_make_list_keeps_items_of_different_shapes(items, mode):
    def build():
        return pp.MakeList(*[make_input(a, mode, np.zeros((7,) * (a.ndim + 1), a.dtype))
                             for a in items])
    assert as_py(evaluate(build, mode)) == as_py(items)


@pytest.mark.parametrize("mode", MODES)
def test_make_list_of_strings_and_of_lists(mode):
    words = ["a", "", "ünïcode"]
    assert evaluate(lambda: pp.MakeList(*[make_input(w, mode) for w in words]), mode) == words
    nested = evaluate(lambda: pp.MakeList(pp.Constant([1, 2]), pp.Constant([3])), mode)
    assert as_py(nested) == as_py([[np.array(1), np.array(2)], [np.array(3)]])


def test_make_list_type():
    _, t = evaluate(lambda: pp.MakeList(pp.Constant(np.zeros((2, 3), np.uint8)),
                                        pp.Constant(np.zeros((4, 3), np.uint8))),
                    "kernel", with_type=True)
    assert t == str(List(Tensor(np.dtype(np.uint8), (None, 3)), 2))
    empty = evaluate(lambda: pp.MakeList(), "kernel")
    assert empty == []


def test_make_list_rejects_mixed_kinds():
    raises_graph(lambda: pp.MakeList(pp.Constant("a"), pp.Constant(1)), "MakeList", "one kind")
    raises_graph(lambda: pp.MakeList(pp.Constant(np.zeros(2, np.uint8)), pp.Constant(np.zeros(2))),
                 "MakeList", "dtype")


# ---------------------------------------------------------------- GetElement

@SETTINGS
@given(items=array_lists(min_size=1), data=st.data(), mode=st.sampled_from(MODES))
def test_get_element_of_list(items, data, mode):
    k = data.draw(st.integers(-len(items), len(items) - 1))
    got = evaluate(lambda: pp.GetElement(make_input(items, mode, with_decoy(items)),
                                         make_input(k, mode)), mode)
    assert as_py(got) == as_py(items[k])


@SETTINGS
@given(dtype=st.sampled_from(DTYPES), data=st.data(), mode=st.sampled_from(MODES))
def test_get_element_of_tensor_is_numpy_indexing(dtype, data, mode):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    arr = random_array(data.draw, dtype, shape)
    k = data.draw(st.integers(-shape[0], shape[0] - 1))
    got = evaluate(lambda: make_input(arr, mode, arr[:1])[make_input(k, mode)], mode)
    assert as_py(got) == as_py(arr[k])


def test_get_element_by_sample_index_and_strings():
    words = ["zero", "one", "two"]
    with pp.Graph() as graph:
        lst = pp.Constant(words)
        pp.Output(lst[pp.SampleIndex()], "word")
    pipeline = graph.compile()
    assert [pipeline.run(i)["word"] for i in range(3)] == words
    assert pipeline.batch(range(3), threads=2)["word"] == words


def test_get_element_types():
    _, t = evaluate(lambda: pp.GetElement(dynamic(np.zeros((2, 3, 4)), np.zeros((5, 3, 4))),
                                          pp.SampleIndex()), "kernel", with_type=True)
    assert t == "float64 tensor[3, 4]"
    _, t = evaluate(lambda: pp.Constant([np.zeros(2), np.zeros(3)])[pp.SampleIndex()],
                    "kernel", with_type=True)
    assert t == "float64 tensor[?]"


def test_get_element_out_of_range_at_run_time():
    items = [np.zeros(1), np.zeros(2), np.zeros(3)]
    err = raises_execution(lambda: pp.Constant(items)[pp.SampleIndex()], 7, "GetElement",
                           "index 7 out of range for length 3")
    assert HERE in err.node
    raises_execution(lambda: pp.Constant(np.zeros((3, 2)))[pp.SampleIndex()], 3, "GetElement",
                     "index 3 out of range for length 3")
    raises_execution(lambda: pp.GetElement(pp.Constant(items), dynamic(-4, 0)), 0,
                     "index -4 out of range for length 3")


@pytest.mark.parametrize("optimize", [True, False])
def test_get_element_errors_at_compile_time(optimize):
    raises_graph(lambda: pp.Constant([1, 2, 3])[7], "GetElement",
                 "index 7 out of range for length 3", optimize=optimize)
    raises_graph(lambda: pp.Constant(np.zeros((3, 2)))[-4], "GetElement",
                 "out of range", optimize=optimize)
    raises_graph(lambda: pp.Constant(5)[0], "GetElement", "scalar", optimize=optimize)
    raises_graph(lambda: pp.Constant("abc")[0], "GetElement", optimize=optimize)
    raises_graph(lambda: pp.Constant([1, 2])[1.5], "GetElement", "integer", optimize=optimize)
    raises_graph(lambda: pp.Constant([1, 2])[np.array([0, 1])], "GetElement", "scalar",
                 optimize=optimize)
    raises_graph(lambda: pp.MakeList()[pp.SampleIndex()], "GetElement", "empty",
                 optimize=optimize)


def test_scalars_of_unknown_rank_fail_at_run_time():
    scalar = lambda: dynamic(np.zeros(()), np.zeros(2))  # noqa: E731
    raises_execution(lambda: pp.GetElement(scalar(), 0), 0, "GetElement",
                     "scalar cannot be indexed")
    raises_execution(lambda: pp.Length(scalar()), 0, "Length", "rank >= 1")
    raises_execution(lambda: pp.TensorToList(scalar()), 0, "TensorToList", "rank >= 1")


@pytest.mark.skipif(not hasattr(pp, "Subtract"), reason="arithmetic ops not available")
def test_negative_indices_computed_at_run_time():
    items = evaluate(lambda: pp.TensorToList(pp.Stack(pp.Range(10, 20)[pp.SampleIndex() - 10])),
                     index=0)
    for i in range(10):
        assert int(evaluate(lambda: pp.Range(10, 20)[pp.SampleIndex() - 10], index=i)) == 10 + i
    picked = [evaluate(lambda: pp.Remap(["a", "b", "c"], [pp.SampleIndex() - 3]), index=i)
              for i in range(3)]
    assert picked == [["a"], ["b"], ["c"]] and as_py(items) == as_py([np.array(10)])
    raises_execution(lambda: pp.Range(10, 20)[pp.SampleIndex() - 11], 0, "GetElement",
                     "index -11 out of range for length 10", mode="fold")


def test_get_element_refuses_slices():
    with pytest.raises(pp.GraphError, match=rf"GetElement .*{SITE}.*Sublist"):
        pp.Constant([1, 2, 3])[1:2]


def vague(first, second):
    """Sample 1 of ``dynamic(first, second)``: a value whose static type
    (the join of both) lets kinds through that the kernel must reject."""
    return dynamic(first, second)


@pytest.mark.parametrize("build,words", [
    (lambda: pp.GetElement(pp.Range(3), vague(0, np.array([0, 1]))),
     ("GetElement", "the index must be an integer scalar")),
    (lambda: pp.Filter(pp.Range(3), vague(np.ones(3, bool), np.ones((3, 1), bool))),
     ("Filter", "the mask must be a list of scalars or a 1-d tensor")),
    (lambda: pp.Filter(pp.Range(1), vague([np.array(True)], [np.ones(1, bool)])),
     ("Filter", "item 0 of the mask is not a scalar")),
    (lambda: pp.Remap(pp.Range(1), vague([np.array(0)], [np.zeros(1, np.int64)])),
     ("Remap", "item 0 of the indices is not a scalar")),
    (lambda: pp.Repeat(1, vague(1, 2 ** 62)),
     ("Repeat", "repeat count 4611686018427387904 is too large")),
    (lambda: pp.Range(vague(0, np.zeros(2, np.int64)), 3),
     ("Range", "start must be an integer scalar")),
])
def test_run_time_kind_errors(build, words):
    raises_execution(build, 1, *words)


# ---------------------------------------------------------------- Length

@SETTINGS
@given(items=array_lists(), mode=st.sampled_from(MODES))
def test_length_of_list(items, mode):
    got = evaluate(lambda: pp.Length(make_input(items, mode, with_decoy(items))), mode)
    assert got == len(items)


@pytest.mark.parametrize("mode", MODES)
def test_length_of_tensor(mode):
    got, t = evaluate(lambda: pp.Length(make_input(np.zeros((4, 2), np.uint8), mode,
                                                   np.zeros((1, 2), np.uint8))),
                      mode, with_type=True)
    assert got.dtype == np.int64 and got.shape == () and int(got) == 4
    assert t == "int64 scalar"


def test_length_errors():
    raises_graph(lambda: pp.Length(3), "Length", "scalar")
    raises_graph(lambda: pp.Length("abc"), "Length")


# ---------------------------------------------------------------- Range

@SETTINGS
@given(start=st.integers(-20, 20), stop=st.integers(-20, 20),
       step=st.integers(-7, 7).filter(bool), mode=st.sampled_from(MODES))
def test_range_is_python_range(start, stop, step, mode):
    got, t = evaluate(lambda: pp.Range(make_input(start, mode), make_input(stop, mode),
                                       make_input(step, mode)), mode, with_type=True)
    want = list(range(start, stop, step))
    assert [int(x) for x in got] == want
    assert all(x.dtype == np.int64 and x.shape == () for x in got)
    if mode == "kernel" or (mode == "fold" and want):
        # (folding an empty list loses its item type: the compiler retypes
        # folded values from the value alone)
        assert t == f"list[{len(want)}] of int64 scalar"


def test_range_single_argument_and_extremes():
    assert [int(x) for x in evaluate(lambda: pp.Range(4))] == [0, 1, 2, 3]
    big = 2 ** 63 - 1
    got = evaluate(lambda: pp.Range(dynamic(big - 2, 0), dynamic(big, 0)), "kernel")
    assert [int(x) for x in got] == [big - 2, big - 1]
    got = evaluate(lambda: pp.Range(dynamic(-big - 1, 0), dynamic(big, 0), dynamic(big, 1)),
                   "kernel")
    assert [int(x) for x in got] == list(range(-big - 1, big, big))


def test_range_by_sample_index():
    with pp.Graph() as graph:
        pp.Output(pp.Range(pp.SampleIndex()), "r")
    pipeline = graph.compile()
    for i in range(5):
        assert [int(x) for x in pipeline.run(i)["r"]] == list(range(i))


def test_range_errors():
    raises_graph(lambda: pp.Range(0, 5, 0), "Range", "zero")
    raises_graph(lambda: pp.Range(0, 5, 0), "Range", "zero", optimize=False)
    raises_graph(lambda: pp.Range(0.5), "Range", "integer")
    raises_execution(lambda: pp.Range(0, 5, dynamic(1, 0)), 1, "Range", "zero")
    raises_execution(lambda: pp.Range(0, 2 ** 62, dynamic(1, 1)), 0, "Range", "too long")
    huge = lambda: pp.Range(-2 ** 63, 2 ** 63 - 1)  # noqa: E731
    raises_graph(huge, "Range", "range of 18446744073709551615 items is too long")
    raises_execution(huge, 0, "Range", "too long")


# ---------------------------------------------------------------- Sublist

@SETTINGS
@given(items=array_lists(), data=st.data(), mode=st.sampled_from(MODES))
def test_sublist_is_python_slice(items, data, mode):
    n = len(items)
    start = data.draw(st.integers(-n - 3, n + 3))
    stop = data.draw(st.none() | st.integers(-n - 3, n + 3))
    got, t = evaluate(lambda: pp.Sublist(make_input(items, mode, with_decoy(items)),
                                         make_input(start, mode),
                                         None if stop is None else make_input(stop, mode)),
                      mode, with_type=True)
    assert as_py(got) == as_py(items[start:stop])
    if mode == "kernel":
        assert t.startswith(f"list[{len(items[start:stop])}]")


def test_sublist_default_start_and_errors():
    assert [int(x) for x in evaluate(lambda: pp.Sublist(pp.Range(6), stop=-2))] == [0, 1, 2, 3]
    raises_graph(lambda: pp.Sublist(np.zeros(3), 1), "Sublist", "list")
    raises_graph(lambda: pp.Sublist(pp.Range(3), 0.5), "Sublist", "integer")


# ---------------------------------------------------------------- ListConcat

@SETTINGS
@given(lists=st.lists(array_lists(max_rank=1), min_size=1, max_size=4),
       mode=st.sampled_from(MODES))
def test_list_concat(lists, mode):
    # one dtype for every list
    lists = [[a.astype(np.int16) for a in lst] for lst in lists]
    got = evaluate(lambda: pp.ListConcat(*[make_input(lst, mode, with_decoy(lst) if lst else
                                                      [np.zeros(1, np.int16)])
                                           for lst in lists]), mode)
    assert as_py(got) == as_py(list(itertools.chain(*lists)))


def test_list_concat_types_and_errors():
    _, t = evaluate(lambda: pp.ListConcat(pp.MakeList(pp.SampleIndex()), pp.Constant([]),
                                          pp.Range(3)), "kernel", with_type=True)
    assert t == "list[4] of int64 scalar"
    raises_graph(lambda: pp.ListConcat(pp.Constant(["a"]), pp.Constant([1])), "ListConcat",
                 "different kinds")
    raises_graph(lambda: pp.ListConcat(pp.Constant([1]), 2), "ListConcat", "list")
    with pytest.raises(pp.GraphError, match=rf"ListConcat .*{SITE}.*at least one"):
        pp.ListConcat()


# ---------------------------------------------------------------- Repeat

@SETTINGS
@given(n=st.integers(0, 6), mode=st.sampled_from(MODES))
def test_repeat(n, mode):
    value = np.arange(3, dtype=np.float32)
    got = evaluate(lambda: pp.Repeat(make_input(value, mode, value[:1]), make_input(n, mode)),
                   mode)
    assert as_py(got) == as_py([value] * n)
    assert evaluate(lambda: pp.Repeat("ab", make_input(n, mode)), mode) == ["ab"] * n


def test_repeat_errors():
    raises_graph(lambda: pp.Repeat(1, -1), "Repeat", "negative")
    raises_execution(lambda: pp.Repeat(1, dynamic(-2, 0)), 0, "Repeat", "negative repeat count -2")


# ---------------------------------------------------------------- Filter

@SETTINGS
@given(items=array_lists(), data=st.data(), mode=st.sampled_from(MODES),
       as_tensor=st.booleans())
def test_filter(items, data, mode, as_tensor):
    n = len(items)
    mask = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    mask_dtype = data.draw(st.sampled_from(DTYPES))
    if as_tensor:
        mask_value = np.array(mask, dtype=mask_dtype)
        decoy = np.ones(n + 1, mask_dtype)
    else:
        mask_value = [np.array(m, dtype=mask_dtype) for m in mask]
        decoy = mask_value + [np.array(1, mask_dtype)]
    got, t = evaluate(lambda: pp.Filter(make_input(items, mode, with_decoy(items)),
                                        make_input(mask_value, mode, decoy)),
                      mode, with_type=True)
    want = [a for a, m in zip(items, np.array(mask, mask_dtype)) if m]
    assert as_py(got) == as_py(want)
    if mode == "kernel":
        assert t.startswith(f"list[{len(want)}]")


def test_filter_with_python_mask_holding_nodes():
    got = evaluate(lambda: pp.Filter(pp.Constant(["a", "b", "c"]),
                                     [pp.SampleIndex(), 1, pp.SampleIndex()]), index=0)
    assert got == ["b"]


def test_filter_length_mismatch():
    raises_graph(lambda: pp.Filter(pp.Range(3), [True, False]), "Filter",
                 "mask has length 2 but the list has length 3")
    raises_execution(lambda: pp.Filter(pp.Range(3), dynamic(np.ones(2, bool), np.ones(3, bool))),
                     0, "Filter", "mask has length 2 but the list has length 3")
    raises_graph(lambda: pp.Filter(pp.Range(3), np.ones((3, 1))), "Filter", "1-d")


# ---------------------------------------------------------------- Remap

@SETTINGS
@given(items=array_lists(min_size=1), data=st.data(), mode=st.sampled_from(MODES),
       as_tensor=st.booleans())
def test_remap(items, data, mode, as_tensor):
    n = len(items)
    idx = data.draw(st.lists(st.integers(-n, n - 1), max_size=8))
    idx_dtype = data.draw(st.sampled_from([np.int16, np.int32, np.int64]))
    value = np.array(idx, idx_dtype) if as_tensor else idx
    decoy = np.zeros(len(idx) + 1, idx_dtype) if as_tensor else idx + [0]
    got = evaluate(lambda: pp.Remap(make_input(items, mode, with_decoy(items)),
                                    make_input(value, mode, decoy)), mode)
    assert as_py(got) == as_py([items[i] for i in idx])


def test_remap_bounds():
    raises_graph(lambda: pp.Remap(pp.Range(3), [0, 3]), "Remap",
                 "index 3 out of range for length 3")
    raises_graph(lambda: pp.Remap(pp.Range(3), [0.0]), "Remap", "integers")
    raises_execution(lambda: pp.Remap(pp.Range(3), [0, pp.SampleIndex()]), 5, "Remap",
                     "index 5 out of range for length 3")
    raises_execution(lambda: pp.Remap(pp.Range(3), dynamic(np.array([-4]), np.array([0]))), 0,
                     "Remap", "index -4 out of range for length 3")


# ---------------------------------------------------------------- PermuteList

def permutations(seed, samples, n=8, key=None, threads=1):
    with pp.Graph() as graph:
        pp.Output(pp.ListToTensor(pp.PermuteList(pp.Range(n), key=key)), "p")
    # optimize=False: a folded Range(0) would lose its item type (see
    # test_range_is_python_range) and could not be stacked.
    return graph.compile(seed=seed, optimize=False).batch(samples, threads=threads)["p"]


@SETTINGS
@given(seed=st.integers(0, 2 ** 64 - 1), sample=st.integers(0, 10 ** 6), n=st.integers(0, 20))
def test_permute_list_is_a_deterministic_permutation(seed, sample, n):
    p = permutations(seed, [sample], n)[0].tolist()
    assert sorted(p) == list(range(n))
    assert permutations(seed, [sample], n)[0].tolist() == p


def test_permute_list_depends_on_sample_and_key_and_is_uniform():
    perms = [tuple(p) for p in permutations(1, range(600), 3).tolist()]
    counts = {p: perms.count(p) for p in set(perms)}
    assert len(counts) == 6 and min(counts.values()) > 60
    assert np.array_equal(permutations(1, [0], 8, key="a"), permutations(1, [0], 8, key="a"))
    assert len({tuple(permutations(1, [0], 8, key=k)[0]) for k in "abcdef"}) > 1


def test_permute_list_threads_agree():
    assert np.array_equal(permutations(5, range(40), 6, threads=1),
                          permutations(5, range(40), 6, threads=2))


def test_permute_list_keeps_items_and_is_not_folded():
    items = ["x", "y", "z"]
    with pp.Graph() as graph:
        pp.Output(pp.PermuteList(items), "p")
    pipeline = graph.compile(seed=2)
    assert "list_permute" in pipeline.explain()
    assert sorted(pipeline.run(0)["p"]) == items
    raises_graph(lambda: pp.PermuteList(np.arange(3)), "PermuteList", "list")


# ---------------------------------------------------------------- ListToTensor / TensorToList

@SETTINGS
@given(dtype=st.sampled_from(DTYPES), data=st.data(), mode=st.sampled_from(MODES))
def test_list_to_tensor_is_np_stack(dtype, data, mode):
    shape = tuple(data.draw(st.lists(st.integers(0, 3), max_size=3)))
    n = data.draw(st.integers(1, 5))
    items = [random_array(data.draw, dtype, shape) for _ in range(n)]
    got, t = evaluate(lambda: pp.ListToTensor(make_input(items, mode, items[:1])), mode,
                      with_type=True)
    want = np.stack(items)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    if mode != "dynamic":
        assert t == str(Tensor(np.dtype(dtype), want.shape))


def test_list_to_tensor_of_an_empty_list_uses_the_static_item_shape():
    items = [np.ones((2, 3), np.uint16), np.zeros((2, 3), np.uint16)]
    got = evaluate(lambda: pp.ListToTensor(pp.Sublist(items, pp.SampleIndex())), index=5)
    assert got.shape == (0, 2, 3) and got.dtype == np.uint16
    varying = [np.ones(2), np.ones(3)]
    raises_execution(lambda: pp.ListToTensor(pp.Sublist(varying, pp.SampleIndex())), 4,
                     "ListToTensor", "empty list")


def test_list_to_tensor_shape_mismatch():
    items = [np.zeros((2, 3)), np.zeros((3, 2))]
    raises_graph(lambda: pp.ListToTensor(items), "ListToTensor", "item 1 has shape (3, 2), "
                 "item 0 has (2, 3)")
    raises_execution(lambda: pp.ListToTensor(items), 0, "ListToTensor", "item 1 has shape (3, 2)")
    raises_execution(lambda: pp.ListToTensor(dynamic(items, items[:1])), 0, "ListToTensor")
    raises_graph(lambda: pp.ListToTensor(["a"]), "ListToTensor", "tensors")
    raises_graph(lambda: pp.ListToTensor([]), "ListToTensor", "empty")


@SETTINGS
@given(dtype=st.sampled_from(DTYPES), data=st.data(), mode=st.sampled_from(MODES))
def test_tensor_to_list(dtype, data, mode):
    shape = tuple(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4)))
    arr = random_array(data.draw, dtype, shape)
    got, t = evaluate(lambda: pp.TensorToList(make_input(arr, mode, arr[:1])), mode,
                      with_type=True)
    assert as_py(got) == as_py(list(arr))
    if mode == "kernel" or (mode == "fold" and shape[0] > 0):   # see test_range_is_python_range
        assert t == str(List(Tensor(np.dtype(dtype), shape[1:]), shape[0]))


def test_tensor_to_list_errors():
    raises_graph(lambda: pp.TensorToList(3), "TensorToList", "scalar")
    raises_graph(lambda: pp.TensorToList([1, 2]), "TensorToList", "tensor")


# ---------------------------------------------------------------- together

def build_mixed():
    """Many list ops whose values alias each other, all run-time."""
    i = pp.SampleIndex()
    images = pp.Constant([np.full((2, 2), k, np.uint8) for k in range(5)])
    rng = pp.Range(i)
    picked = pp.Remap(images, pp.Sublist(pp.ListConcat(rng, pp.Range(5)), 0, 5))
    shuffled = pp.PermuteList(picked, key="p")
    keep = pp.Filter(shuffled, pp.Repeat(True, pp.Length(shuffled)))
    first = pp.GetElement(keep, 0)
    return {"stack": pp.ListToTensor(keep), "first": first,
            "split": pp.TensorToList(pp.ListToTensor(keep)), "n": pp.Length(rng),
            "words": pp.Sublist(pp.Constant(["a", "b", "c", "d"]), i)}


def reference_mixed(i):
    """The images ``build_mixed`` picks for sample ``i``, before shuffling."""
    return (list(range(i)) + list(range(5)))[:5]


@pytest.mark.parametrize("optimize", [True, False])
def test_mixed_pipeline_batches_match_across_threads(optimize):
    with pp.Graph() as graph:
        for label, node in build_mixed().items():
            pp.Output(node, label)
    pipeline = graph.compile(seed=11, optimize=optimize)
    samples = [9, 0, 3, 1, 4, 2, 7]
    one = pipeline.batch(samples, threads=1)
    two = pipeline.batch(samples, threads=2)
    for label in one:
        assert as_py(list(one[label])) == as_py(list(two[label])), label
    for b, i in enumerate(samples):
        single = pipeline.run(i)
        stack = single["stack"]
        assert sorted(stack[:, 0, 0].tolist()) == sorted(reference_mixed(i))
        assert np.array_equal(single["first"], stack[0])
        assert as_py(single["split"]) == as_py(list(stack))
        assert int(single["n"]) == i
        assert single["words"] == ["a", "b", "c", "d"][i:]
        assert np.array_equal(np.asarray(one["stack"][b]), stack)


def test_docstring_examples():
    result = doctest.testmod(pixelpipes.ops.lists, extraglobs={"pp": pp, "np": np})
    assert result.attempted > 0 and result.failed == 0


def test_every_class_documented_and_exported():
    for name in pixelpipes.ops.lists.__all__:
        cls = getattr(pp, name)
        assert cls.__doc__ and "Parameters" in cls.__doc__, name
