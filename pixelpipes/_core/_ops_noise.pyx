"""Kernels of the noise, dropout and synthetic-image operations
(``pixelpipes.image.noise``).

Random numbers
--------------
A kernel that draws reads the stream of its node: Philox4x64-10 keyed by
(pipeline seed, node key) and counted by (block, sample index), the stream
``rng_init(&r, f.seed, ins.key, f.sample)`` gives (``_random.pxd``), bit for
bit.  So every result is a pure function of (seed, key, sample), whatever
thread or batch computes it.

The pixel kernels read the stream through ``Stream``, which computes four
Philox blocks per refill and hands their words out as 32-bit *halves*, the
low half of each 64-bit word first.  (Computing blocks side by side to
overlap their multiplies was measured slower: the state spills registers.)
Elements are filled in C order and no bits are wasted:

* a probability decision compares a 40-bit uniform with ``floor(p * 2**40)``
  (so p = 0 and p = 1 are exact), drawn lazily: its top byte is one byte of
  a half (four decisions per half, low byte first), its low 32 bits the next
  half only when the byte alone cannot decide (probability 1/256 per
  threshold; ``gen_decisions``);
* a uniform float takes one half: ``u = h * 2**-32`` in [0, 1);
* a uniform integer in [0, n) takes one half by Lemire's method
  (``(h * n) >> 32``, redrawn in the rare biased case); for n = 256 or 65536
  a half gives instead 4 bytes or 2 16-bit pieces (low first), one per
  element;
* a normal deviate comes from a 256-layer ziggurat (Marsaglia and Tsang 2000,
  with separate layer, sign and position bits as Doornik 2005 advises): one
  half per deviate in 98.5% of cases -- bits 0-7 pick the layer, bit 8 the
  sign, bits 9-31 the position -- and the wedge and tail tests draw further
  halves and use ``det_log`` (half the wedge tests are settled without it by
  the layer's chord, which is below the curve where it is concave and above
  where it is convex).  The tables were computed with mpmath at 60 digits and
  are written as hexadecimal literals, so they are the same bits on every
  compiler; no libm log/exp enters a random decision.

Deviates are drawn CHUNK at a time into a local buffer, then applied in a
second loop that the compiler can vectorise.

The geometry kernels (dropout holes, erasing box) draw a handful of numbers
with the plain ``rng_below`` / ``rng_uniform`` of ``_random.pxd``, so a NumPy
reference can replay them (tests/test_image_noise.py does).
"""

from libc.stdint cimport (
    uint8_t, int16_t, uint16_t, uint32_t, int64_t, uint64_t, uintptr_t,
)
from libc.string cimport memcpy
from libc.math cimport sqrt, fmod, cos, sin, rint, fabs

from pixelpipes._core._kernel cimport (
    Frame, Instr, Value, ERROR_SIZE, KIND_TENSOR, DT_BOOL, DT_UINT8, DT_INT16,
    DT_UINT16, DT_INT64, DT_FLOAT32, DT_FLOAT64, arg, iparam, fparam, new_tensor, scratch,
    fail, itemsize, load_double, load_int, snprintf,
)
from pixelpipes._core._image cimport (
    ImageView, pixel_t, as_image, new_image, image_dtype_ok, type_max,
)
from pixelpipes._core._random cimport (
    Rng, rng_init, rng_uniform, rng_below, det_log, det_exp, round_even, pp_philox4x64_10,
)


cdef extern from *:
    """
    #include <stdint.h>

    /* Ziggurat for the standard normal: 256 layers of equal area v under
       f(x) = exp(-x*x/2), the base one reaching past r to infinity.  r solves
       "the top of layer 255 is f(0) = 1"; computed with mpmath at 60 digits
       and written as hexadecimal literals (the same bits on every compiler). */
    /* r = 3.65415288536100877164543, v = 0.004928673233974655347361775; fast path 0.9851 */
    static const double ppn_zig_r = 0x1.d3bb48209ad33p+1;
    /* Layer i accepts a position j < ppn_zig_k[i] at once. */
    static const uint32_t ppn_zig_k[256] = {
        7838188u, 7918290u, 8074800u, 8146898u, 8189113u, 8217091u,
        8237110u, 8252204u, 8264025u, 8273555u, 8281415u, 8288016u,
        8293645u, 8298506u, 8302749u, 8306487u, 8309807u, 8312776u,
        8315447u, 8317864u, 8320062u, 8322070u, 8323910u, 8325604u,
        8327168u, 8328617u, 8329962u, 8331214u, 8332383u, 8333476u,
        8334500u, 8335461u, 8336365u, 8337217u, 8338020u, 8338778u,
        8339496u, 8340175u, 8340819u, 8341430u, 8342010u, 8342562u,
        8343087u, 8343586u, 8344062u, 8344516u, 8344949u, 8345363u,
        8345758u, 8346135u, 8346495u, 8346840u, 8347169u, 8347485u,
        8347786u, 8348075u, 8348352u, 8348616u, 8348870u, 8349112u,
        8349345u, 8349567u, 8349780u, 8349983u, 8350178u, 8350364u,
        8350543u, 8350713u, 8350876u, 8351031u, 8351179u, 8351320u,
        8351455u, 8351583u, 8351705u, 8351821u, 8351931u, 8352035u,
        8352134u, 8352227u, 8352314u, 8352397u, 8352474u, 8352547u,
        8352614u, 8352677u, 8352735u, 8352788u, 8352837u, 8352882u,
        8352922u, 8352958u, 8352990u, 8353017u, 8353041u, 8353060u,
        8353076u, 8353087u, 8353095u, 8353099u, 8353098u, 8353094u,
        8353087u, 8353075u, 8353060u, 8353041u, 8353019u, 8352992u,
        8352963u, 8352929u, 8352892u, 8352851u, 8352807u, 8352758u,
        8352707u, 8352651u, 8352592u, 8352530u, 8352463u, 8352393u,
        8352319u, 8352242u, 8352161u, 8352076u, 8351987u, 8351894u,
        8351797u, 8351697u, 8351592u, 8351484u, 8351372u, 8351255u,
        8351134u, 8351009u, 8350880u, 8350747u, 8350609u, 8350467u,
        8350320u, 8350169u, 8350012u, 8349852u, 8349686u, 8349516u,
        8349340u, 8349160u, 8348974u, 8348783u, 8348586u, 8348384u,
        8348176u, 8347963u, 8347743u, 8347518u, 8347286u, 8347048u,
        8346803u, 8346552u, 8346293u, 8346028u, 8345756u, 8345476u,
        8345188u, 8344893u, 8344589u, 8344277u, 8343957u, 8343628u,
        8343289u, 8342941u, 8342584u, 8342216u, 8341838u, 8341450u,
        8341050u, 8340639u, 8340216u, 8339781u, 8339332u, 8338871u,
        8338396u, 8337907u, 8337403u, 8336883u, 8336348u, 8335795u,
        8335226u, 8334638u, 8334032u, 8333405u, 8332759u, 8332090u,
        8331399u, 8330685u, 8329946u, 8329180u, 8328388u, 8327567u,
        8326716u, 8325834u, 8324918u, 8323967u, 8322979u, 8321952u,
        8320884u, 8319771u, 8318612u, 8317404u, 8316143u, 8314827u,
        8313451u, 8312012u, 8310504u, 8308924u, 8307267u, 8305525u,
        8303694u, 8301766u, 8299733u, 8297586u, 8295317u, 8292914u,
        8290366u, 8287658u, 8284777u, 8281703u, 8278419u, 8274901u,
        8271125u, 8267060u, 8262673u, 8257923u, 8252765u, 8247143u,
        8240993u, 8234236u, 8226779u, 8218507u, 8209279u, 8198920u,
        8187208u, 8173862u, 8158515u, 8140680u, 8119703u, 8094676u,
        8064303u, 8026677u, 7978859u, 7916088u, 7830108u, 7705263u,
        7507892u, 7150248u, 6309365u, 0u,
    };
    /* x[i] / 2**23, and its negative at i + 256. */
    static const double ppn_zig_w[512] = {
        0x1.f493b7815d982p-22, 0x1.d3bb48209ad33p-22, 0x1.b981f3878fdb0p-22, 0x1.a8fdc78947759p-22,
        0x1.9cbee014057aap-22, 0x1.92ee0946f4496p-22, 0x1.8ab0fbfaa7c14p-22, 0x1.839030529f233p-22,
        0x1.7d42df4d6ce8bp-22, 0x1.7799556090672p-22, 0x1.72728f05f7a33p-22, 0x1.6db6b8d09e231p-22,
        0x1.69540be9fe5c2p-22, 0x1.653ce7b006aeap-22, 0x1.61669cf861e4bp-22, 0x1.5dc8a243ad0fep-22,
        0x1.5a5c08b718dd9p-22, 0x1.571b1a94ae41cp-22, 0x1.54011523a7e43p-22, 0x1.5109f53e9ac42p-22,
        0x1.4e3250dcd8903p-22, 0x1.4b7739d6b5a28p-22, 0x1.48d62759c43bdp-22, 0x1.464ce44a73a16p-22,
        0x1.43d9815545e94p-22, 0x1.417a49cb9e5dbp-22, 0x1.3f2dbaa60f475p-22, 0x1.3cf27b31704a6p-22,
        0x1.3ac7570ae88fap-22, 0x1.38ab39256410ap-22, 0x1.369d27a33a840p-22, 0x1.349c405ae12a3p-22,
        0x1.32a7b5e68a4a3p-22, 0x1.30becd256aeeep-22, 0x1.2ee0db1a978f5p-22, 0x1.2d0d43196db97p-22,
        0x1.2b437532a0a53p-22, 0x1.2982ecd770e78p-22, 0x1.27cb2faa8592ep-22, 0x1.261bcc77658e0p-22,
        0x1.24745a4ac9c24p-22, 0x1.22d477a6fd3efp-22, 0x1.213bc9d04cc82p-22, 0x1.1fa9fc2e2d901p-22,
        0x1.1e1ebfbe4ae39p-22, 0x1.1c99ca971a695p-22, 0x1.1b1ad777f2f8fp-22, 0x1.19a1a564eebadp-22,
        0x1.182df74d21262p-22, 0x1.16bf93b9deef5p-22, 0x1.1556448602e3dp-22, 0x1.13f1d69c4096fp-22,
        0x1.129219bbb5d37p-22, 0x1.1136e04207043p-22, 0x1.0fdffefa69fb8p-22, 0x1.0e8d4cf116594p-22,
        0x1.0d3ea34aa3d32p-22, 0x1.0bf3dd1eed449p-22, 0x1.0aacd7571c0c5p-22, 0x1.0969708e8a255p-22,
        0x1.082988f632e18p-22, 0x1.06ed023a72669p-22, 0x1.05b3bf6adb37ep-22, 0x1.047da4e3ef5c7p-22,
        0x1.034a983a902abp-22, 0x1.021a8028fc947p-22, 0x1.00ed447d3a075p-22, 0x1.ff859c118f60bp-23,
        0x1.fd360d22fe785p-23, 0x1.faebb187122bfp-23, 0x1.f8a6604899782p-23, 0x1.f665f20c90168p-23,
        0x1.f42a40fb74d6dp-23, 0x1.f1f328ac25321p-23, 0x1.efc086101eca9p-23, 0x1.ed9237610a73ap-23,
        0x1.eb681c0f76f08p-23, 0x1.e94214b2abf09p-23, 0x1.e72002f97fe23p-23, 0x1.e501c99c1d186p-23,
        0x1.e2e74c4ea46f3p-23, 0x1.e0d06fb49d219p-23, 0x1.debd195522e34p-23, 0x1.dcad2f8fc490cp-23,
        0x1.daa0999206e6ep-23, 0x1.d8973f4d7fba4p-23, 0x1.d691096e7f123p-23, 0x1.d48de1533c647p-23,
        0x1.d28db1037ef20p-23, 0x1.d0906328b8f6ep-23, 0x1.ce95e3068e037p-23, 0x1.cc9e1c73bd690p-23,
        0x1.caa8fbd36a2abp-23, 0x1.c8b66e0eba617p-23, 0x1.c6c6608ec8705p-23, 0x1.c4d8c136e0d1dp-23,
        0x1.c2ed7e5f07a2dp-23, 0x1.c10486cec16a0p-23, 0x1.bf1dc9b81ae82p-23, 0x1.bd3936b2ec0a2p-23,
        0x1.bb56bdb85256ep-23, 0x1.b9764f1e5f73dp-23, 0x1.b797db93f8928p-23, 0x1.b5bb541ce3d04p-23,
        0x1.b3e0aa0e00c01p-23, 0x1.b207cf09a985cp-23, 0x1.b030b4fc3a11bp-23, 0x1.ae5b4e18bb338p-23,
        0x1.ac878cd5af5cfp-23, 0x1.aab563e9ff10ap-23, 0x1.a8e4c64a0313fp-23, 0x1.a715a724aa9a7p-23,
        0x1.a547f9e0bbb8bp-23, 0x1.a37bb21a2c85ep-23, 0x1.a1b0c39f93696p-23, 0x1.9fe7226fad24dp-23,
        0x1.9e1ec2b6f7414p-23, 0x1.9c5798cd5d92ep-23, 0x1.9a919933f99c1p-23, 0x1.98ccb892e2a33p-23,
        0x1.9708ebb70d5efp-23, 0x1.954627903a28bp-23, 0x1.9384612ef0afep-23, 0x1.91c38dc288349p-23,
        0x1.9003a2973b591p-23, 0x1.8e44951446a28p-23, 0x1.8c865aba10c9dp-23, 0x1.8ac8e9205c044p-23,
        0x1.890c35f47f72ep-23, 0x1.875036f7a7ec7p-23, 0x1.8594e1fd1f5bep-23, 0x1.83da2ce899f16p-23,
        0x1.82200dac88677p-23, 0x1.80667a486ea1fp-23, 0x1.7ead68c73dee7p-23, 0x1.7cf4cf3db22fcp-23,
        0x1.7b3ca3c8b140ap-23, 0x1.7984dc8babd94p-23, 0x1.77cd6faeff44ap-23, 0x1.7616535e57320p-23,
        0x1.745f7dc70eeddp-23, 0x1.72a8e516914c7p-23, 0x1.70f27f78b68ecp-23, 0x1.6f3c43161f856p-23,
        0x1.6d8626128d354p-23, 0x1.6bd01e8b343bdp-23, 0x1.6a1a22950b2b3p-23, 0x1.6864283b13139p-23,
        0x1.66ae257c99674p-23, 0x1.64f8104b7260dp-23, 0x1.6341de8a2b0a4p-23, 0x1.618b860a31fc5p-23,
        0x1.5fd4fc89f5e39p-23, 0x1.5e1e37b2f8cd4p-23, 0x1.5c672d17d733fp-23, 0x1.5aafd23241b5ap-23,
        0x1.58f81c60e8515p-23, 0x1.574000e555f79p-23, 0x1.558774e1bb2c9p-23, 0x1.53ce6d56a6650p-23,
        0x1.5214df20a8b5cp-23, 0x1.505abef5e5563p-23, 0x1.4ea001638a606p-23, 0x1.4ce49acb311ddp-23,
        0x1.4b287f602415ep-23, 0x1.496ba32488f30p-23, 0x1.47adf9e66c338p-23, 0x1.45ef773cac75ep-23,
        0x1.44300e83c30a6p-23, 0x1.426fb2da6745fp-23, 0x1.40ae571e09e76p-23, 0x1.3eebede725a85p-23,
        0x1.3d28698561de3p-23, 0x1.3b63bbfb83d06p-23, 0x1.399dd6fb2b267p-23, 0x1.37d6abe05586cp-23,
        0x1.360e2baca52d7p-23, 0x1.3444470265ea4p-23, 0x1.3278ee1f4b933p-23, 0x1.30ac10d6e48dap-23,
        0x1.2edd9e8cba990p-23, 0x1.2d0d862e1b855p-23, 0x1.2b3bb62b82edbp-23, 0x1.29681c719d71dp-23,
        0x1.2792a661dd381p-23, 0x1.25bb40ca96bfep-23, 0x1.23e1d7de9c322p-23, 0x1.2206572c4c6ecp-23,
        0x1.2028a9940a0a3p-23, 0x1.1e48b93e0d431p-23, 0x1.1c666f8f82acfp-23, 0x1.1a81b51ee6d8bp-23,
        0x1.189a71a78da37p-23, 0x1.16b08bfc42020p-23, 0x1.14c3e9f8e9143p-23, 0x1.12d4707310fc1p-23,
        0x1.10e20329515f1p-23, 0x1.0eec84b16086fp-23, 0x1.0cf3d664bcc83p-23, 0x1.0af7d84bc6116p-23,
        0x1.08f869071f40fp-23, 0x1.06f565b72a014p-23, 0x1.04eea9e16a5ffp-23, 0x1.02e40f5398f9dp-23,
        0x1.00d56e04234eep-23, 0x1.fd8537dfa2eb1p-24, 0x1.f956d9e87d7b2p-24, 0x1.f51f654d8f68cp-24,
        0x1.f0de784f0622ap-24, 0x1.ec93abdf982d2p-24, 0x1.e83e9337a6f04p-24, 0x1.e3debb5d2ee02p-24,
        0x1.df73aa9f17656p-24, 0x1.dafce0023b8c8p-24, 0x1.d679d29e41f14p-24, 0x1.d1e9f0e80b74bp-24,
        0x1.cd4c9fe72268fp-24, 0x1.c8a13a5323b66p-24, 0x1.c3e70f9594ef8p-24, 0x1.bf1d62abf8239p-24,
        0x1.ba4368e529f40p-24, 0x1.b558487427a2fp-24, 0x1.b05b16d136ca2p-24, 0x1.ab4ad6e101636p-24,
        0x1.a62676d77cd5fp-24, 0x1.a0eccdca4a731p-24, 0x1.9b9c98e38c54dp-24, 0x1.96347822c1ef0p-24,
        0x1.90b2ea94ecf9ep-24, 0x1.8b1649e7b769fp-24, 0x1.855cc53430a7dp-24, 0x1.7f845ad46f549p-24,
        0x1.798ad10b32a7ep-24, 0x1.736dad346f8adp-24, 0x1.6d2a292000576p-24, 0x1.66bd261a37c44p-24,
        0x1.60231cfd97ef1p-24, 0x1.59580a707ce9cp-24, 0x1.52575621ad379p-24, 0x1.4b1bb363dfeadp-24,
        0x1.439ef8dff9b5ap-24, 0x1.3bd9ec1a2b134p-24, 0x1.33c3fc05791fap-24, 0x1.2b52e3863d885p-24,
        0x1.227a28f7a1afap-24, 0x1.192a69741367dp-24, 0x1.0f5053b025d4ap-24, 0x1.04d32278ebbb4p-24,
        0x1.f32482d4cd5d0p-25, 0x1.dac2f5a747281p-25, 0x1.c004d2f386207p-25, 0x1.a230c2e4cd0cbp-25,
        0x1.801fce82fa71ap-25, 0x1.57cb938443b71p-25, 0x1.250af3c2c5bc6p-25, 0x1.b8d0be3fdf702p-26,
        -0x1.f493b7815d982p-22, -0x1.d3bb48209ad33p-22, -0x1.b981f3878fdb0p-22, -0x1.a8fdc78947759p-22,
        -0x1.9cbee014057aap-22, -0x1.92ee0946f4496p-22, -0x1.8ab0fbfaa7c14p-22, -0x1.839030529f233p-22,
        -0x1.7d42df4d6ce8bp-22, -0x1.7799556090672p-22, -0x1.72728f05f7a33p-22, -0x1.6db6b8d09e231p-22,
        -0x1.69540be9fe5c2p-22, -0x1.653ce7b006aeap-22, -0x1.61669cf861e4bp-22, -0x1.5dc8a243ad0fep-22,
        -0x1.5a5c08b718dd9p-22, -0x1.571b1a94ae41cp-22, -0x1.54011523a7e43p-22, -0x1.5109f53e9ac42p-22,
        -0x1.4e3250dcd8903p-22, -0x1.4b7739d6b5a28p-22, -0x1.48d62759c43bdp-22, -0x1.464ce44a73a16p-22,
        -0x1.43d9815545e94p-22, -0x1.417a49cb9e5dbp-22, -0x1.3f2dbaa60f475p-22, -0x1.3cf27b31704a6p-22,
        -0x1.3ac7570ae88fap-22, -0x1.38ab39256410ap-22, -0x1.369d27a33a840p-22, -0x1.349c405ae12a3p-22,
        -0x1.32a7b5e68a4a3p-22, -0x1.30becd256aeeep-22, -0x1.2ee0db1a978f5p-22, -0x1.2d0d43196db97p-22,
        -0x1.2b437532a0a53p-22, -0x1.2982ecd770e78p-22, -0x1.27cb2faa8592ep-22, -0x1.261bcc77658e0p-22,
        -0x1.24745a4ac9c24p-22, -0x1.22d477a6fd3efp-22, -0x1.213bc9d04cc82p-22, -0x1.1fa9fc2e2d901p-22,
        -0x1.1e1ebfbe4ae39p-22, -0x1.1c99ca971a695p-22, -0x1.1b1ad777f2f8fp-22, -0x1.19a1a564eebadp-22,
        -0x1.182df74d21262p-22, -0x1.16bf93b9deef5p-22, -0x1.1556448602e3dp-22, -0x1.13f1d69c4096fp-22,
        -0x1.129219bbb5d37p-22, -0x1.1136e04207043p-22, -0x1.0fdffefa69fb8p-22, -0x1.0e8d4cf116594p-22,
        -0x1.0d3ea34aa3d32p-22, -0x1.0bf3dd1eed449p-22, -0x1.0aacd7571c0c5p-22, -0x1.0969708e8a255p-22,
        -0x1.082988f632e18p-22, -0x1.06ed023a72669p-22, -0x1.05b3bf6adb37ep-22, -0x1.047da4e3ef5c7p-22,
        -0x1.034a983a902abp-22, -0x1.021a8028fc947p-22, -0x1.00ed447d3a075p-22, -0x1.ff859c118f60bp-23,
        -0x1.fd360d22fe785p-23, -0x1.faebb187122bfp-23, -0x1.f8a6604899782p-23, -0x1.f665f20c90168p-23,
        -0x1.f42a40fb74d6dp-23, -0x1.f1f328ac25321p-23, -0x1.efc086101eca9p-23, -0x1.ed9237610a73ap-23,
        -0x1.eb681c0f76f08p-23, -0x1.e94214b2abf09p-23, -0x1.e72002f97fe23p-23, -0x1.e501c99c1d186p-23,
        -0x1.e2e74c4ea46f3p-23, -0x1.e0d06fb49d219p-23, -0x1.debd195522e34p-23, -0x1.dcad2f8fc490cp-23,
        -0x1.daa0999206e6ep-23, -0x1.d8973f4d7fba4p-23, -0x1.d691096e7f123p-23, -0x1.d48de1533c647p-23,
        -0x1.d28db1037ef20p-23, -0x1.d0906328b8f6ep-23, -0x1.ce95e3068e037p-23, -0x1.cc9e1c73bd690p-23,
        -0x1.caa8fbd36a2abp-23, -0x1.c8b66e0eba617p-23, -0x1.c6c6608ec8705p-23, -0x1.c4d8c136e0d1dp-23,
        -0x1.c2ed7e5f07a2dp-23, -0x1.c10486cec16a0p-23, -0x1.bf1dc9b81ae82p-23, -0x1.bd3936b2ec0a2p-23,
        -0x1.bb56bdb85256ep-23, -0x1.b9764f1e5f73dp-23, -0x1.b797db93f8928p-23, -0x1.b5bb541ce3d04p-23,
        -0x1.b3e0aa0e00c01p-23, -0x1.b207cf09a985cp-23, -0x1.b030b4fc3a11bp-23, -0x1.ae5b4e18bb338p-23,
        -0x1.ac878cd5af5cfp-23, -0x1.aab563e9ff10ap-23, -0x1.a8e4c64a0313fp-23, -0x1.a715a724aa9a7p-23,
        -0x1.a547f9e0bbb8bp-23, -0x1.a37bb21a2c85ep-23, -0x1.a1b0c39f93696p-23, -0x1.9fe7226fad24dp-23,
        -0x1.9e1ec2b6f7414p-23, -0x1.9c5798cd5d92ep-23, -0x1.9a919933f99c1p-23, -0x1.98ccb892e2a33p-23,
        -0x1.9708ebb70d5efp-23, -0x1.954627903a28bp-23, -0x1.9384612ef0afep-23, -0x1.91c38dc288349p-23,
        -0x1.9003a2973b591p-23, -0x1.8e44951446a28p-23, -0x1.8c865aba10c9dp-23, -0x1.8ac8e9205c044p-23,
        -0x1.890c35f47f72ep-23, -0x1.875036f7a7ec7p-23, -0x1.8594e1fd1f5bep-23, -0x1.83da2ce899f16p-23,
        -0x1.82200dac88677p-23, -0x1.80667a486ea1fp-23, -0x1.7ead68c73dee7p-23, -0x1.7cf4cf3db22fcp-23,
        -0x1.7b3ca3c8b140ap-23, -0x1.7984dc8babd94p-23, -0x1.77cd6faeff44ap-23, -0x1.7616535e57320p-23,
        -0x1.745f7dc70eeddp-23, -0x1.72a8e516914c7p-23, -0x1.70f27f78b68ecp-23, -0x1.6f3c43161f856p-23,
        -0x1.6d8626128d354p-23, -0x1.6bd01e8b343bdp-23, -0x1.6a1a22950b2b3p-23, -0x1.6864283b13139p-23,
        -0x1.66ae257c99674p-23, -0x1.64f8104b7260dp-23, -0x1.6341de8a2b0a4p-23, -0x1.618b860a31fc5p-23,
        -0x1.5fd4fc89f5e39p-23, -0x1.5e1e37b2f8cd4p-23, -0x1.5c672d17d733fp-23, -0x1.5aafd23241b5ap-23,
        -0x1.58f81c60e8515p-23, -0x1.574000e555f79p-23, -0x1.558774e1bb2c9p-23, -0x1.53ce6d56a6650p-23,
        -0x1.5214df20a8b5cp-23, -0x1.505abef5e5563p-23, -0x1.4ea001638a606p-23, -0x1.4ce49acb311ddp-23,
        -0x1.4b287f602415ep-23, -0x1.496ba32488f30p-23, -0x1.47adf9e66c338p-23, -0x1.45ef773cac75ep-23,
        -0x1.44300e83c30a6p-23, -0x1.426fb2da6745fp-23, -0x1.40ae571e09e76p-23, -0x1.3eebede725a85p-23,
        -0x1.3d28698561de3p-23, -0x1.3b63bbfb83d06p-23, -0x1.399dd6fb2b267p-23, -0x1.37d6abe05586cp-23,
        -0x1.360e2baca52d7p-23, -0x1.3444470265ea4p-23, -0x1.3278ee1f4b933p-23, -0x1.30ac10d6e48dap-23,
        -0x1.2edd9e8cba990p-23, -0x1.2d0d862e1b855p-23, -0x1.2b3bb62b82edbp-23, -0x1.29681c719d71dp-23,
        -0x1.2792a661dd381p-23, -0x1.25bb40ca96bfep-23, -0x1.23e1d7de9c322p-23, -0x1.2206572c4c6ecp-23,
        -0x1.2028a9940a0a3p-23, -0x1.1e48b93e0d431p-23, -0x1.1c666f8f82acfp-23, -0x1.1a81b51ee6d8bp-23,
        -0x1.189a71a78da37p-23, -0x1.16b08bfc42020p-23, -0x1.14c3e9f8e9143p-23, -0x1.12d4707310fc1p-23,
        -0x1.10e20329515f1p-23, -0x1.0eec84b16086fp-23, -0x1.0cf3d664bcc83p-23, -0x1.0af7d84bc6116p-23,
        -0x1.08f869071f40fp-23, -0x1.06f565b72a014p-23, -0x1.04eea9e16a5ffp-23, -0x1.02e40f5398f9dp-23,
        -0x1.00d56e04234eep-23, -0x1.fd8537dfa2eb1p-24, -0x1.f956d9e87d7b2p-24, -0x1.f51f654d8f68cp-24,
        -0x1.f0de784f0622ap-24, -0x1.ec93abdf982d2p-24, -0x1.e83e9337a6f04p-24, -0x1.e3debb5d2ee02p-24,
        -0x1.df73aa9f17656p-24, -0x1.dafce0023b8c8p-24, -0x1.d679d29e41f14p-24, -0x1.d1e9f0e80b74bp-24,
        -0x1.cd4c9fe72268fp-24, -0x1.c8a13a5323b66p-24, -0x1.c3e70f9594ef8p-24, -0x1.bf1d62abf8239p-24,
        -0x1.ba4368e529f40p-24, -0x1.b558487427a2fp-24, -0x1.b05b16d136ca2p-24, -0x1.ab4ad6e101636p-24,
        -0x1.a62676d77cd5fp-24, -0x1.a0eccdca4a731p-24, -0x1.9b9c98e38c54dp-24, -0x1.96347822c1ef0p-24,
        -0x1.90b2ea94ecf9ep-24, -0x1.8b1649e7b769fp-24, -0x1.855cc53430a7dp-24, -0x1.7f845ad46f549p-24,
        -0x1.798ad10b32a7ep-24, -0x1.736dad346f8adp-24, -0x1.6d2a292000576p-24, -0x1.66bd261a37c44p-24,
        -0x1.60231cfd97ef1p-24, -0x1.59580a707ce9cp-24, -0x1.52575621ad379p-24, -0x1.4b1bb363dfeadp-24,
        -0x1.439ef8dff9b5ap-24, -0x1.3bd9ec1a2b134p-24, -0x1.33c3fc05791fap-24, -0x1.2b52e3863d885p-24,
        -0x1.227a28f7a1afap-24, -0x1.192a69741367dp-24, -0x1.0f5053b025d4ap-24, -0x1.04d32278ebbb4p-24,
        -0x1.f32482d4cd5d0p-25, -0x1.dac2f5a747281p-25, -0x1.c004d2f386207p-25, -0x1.a230c2e4cd0cbp-25,
        -0x1.801fce82fa71ap-25, -0x1.57cb938443b71p-25, -0x1.250af3c2c5bc6p-25, -0x1.b8d0be3fdf702p-26,
    };
    /* x[i], i = 0..256 (x[0] = v / f(r) is the base strip's width, x[256] = 0). */
    static const double ppn_zig_x[257] = {
        0x1.f493b7815d982p+1, 0x1.d3bb48209ad33p+1, 0x1.b981f3878fdb0p+1, 0x1.a8fdc78947759p+1,
        0x1.9cbee014057aap+1, 0x1.92ee0946f4496p+1, 0x1.8ab0fbfaa7c14p+1, 0x1.839030529f233p+1,
        0x1.7d42df4d6ce8bp+1, 0x1.7799556090672p+1, 0x1.72728f05f7a33p+1, 0x1.6db6b8d09e231p+1,
        0x1.69540be9fe5c2p+1, 0x1.653ce7b006aeap+1, 0x1.61669cf861e4bp+1, 0x1.5dc8a243ad0fep+1,
        0x1.5a5c08b718dd9p+1, 0x1.571b1a94ae41cp+1, 0x1.54011523a7e43p+1, 0x1.5109f53e9ac42p+1,
        0x1.4e3250dcd8903p+1, 0x1.4b7739d6b5a28p+1, 0x1.48d62759c43bdp+1, 0x1.464ce44a73a16p+1,
        0x1.43d9815545e94p+1, 0x1.417a49cb9e5dbp+1, 0x1.3f2dbaa60f475p+1, 0x1.3cf27b31704a6p+1,
        0x1.3ac7570ae88fap+1, 0x1.38ab39256410ap+1, 0x1.369d27a33a840p+1, 0x1.349c405ae12a3p+1,
        0x1.32a7b5e68a4a3p+1, 0x1.30becd256aeeep+1, 0x1.2ee0db1a978f5p+1, 0x1.2d0d43196db97p+1,
        0x1.2b437532a0a53p+1, 0x1.2982ecd770e78p+1, 0x1.27cb2faa8592ep+1, 0x1.261bcc77658e0p+1,
        0x1.24745a4ac9c24p+1, 0x1.22d477a6fd3efp+1, 0x1.213bc9d04cc82p+1, 0x1.1fa9fc2e2d901p+1,
        0x1.1e1ebfbe4ae39p+1, 0x1.1c99ca971a695p+1, 0x1.1b1ad777f2f8fp+1, 0x1.19a1a564eebadp+1,
        0x1.182df74d21262p+1, 0x1.16bf93b9deef5p+1, 0x1.1556448602e3dp+1, 0x1.13f1d69c4096fp+1,
        0x1.129219bbb5d37p+1, 0x1.1136e04207043p+1, 0x1.0fdffefa69fb8p+1, 0x1.0e8d4cf116594p+1,
        0x1.0d3ea34aa3d32p+1, 0x1.0bf3dd1eed449p+1, 0x1.0aacd7571c0c5p+1, 0x1.0969708e8a255p+1,
        0x1.082988f632e18p+1, 0x1.06ed023a72669p+1, 0x1.05b3bf6adb37ep+1, 0x1.047da4e3ef5c7p+1,
        0x1.034a983a902abp+1, 0x1.021a8028fc947p+1, 0x1.00ed447d3a075p+1, 0x1.ff859c118f60bp+0,
        0x1.fd360d22fe785p+0, 0x1.faebb187122bfp+0, 0x1.f8a6604899782p+0, 0x1.f665f20c90168p+0,
        0x1.f42a40fb74d6dp+0, 0x1.f1f328ac25321p+0, 0x1.efc086101eca9p+0, 0x1.ed9237610a73ap+0,
        0x1.eb681c0f76f08p+0, 0x1.e94214b2abf09p+0, 0x1.e72002f97fe23p+0, 0x1.e501c99c1d186p+0,
        0x1.e2e74c4ea46f3p+0, 0x1.e0d06fb49d219p+0, 0x1.debd195522e34p+0, 0x1.dcad2f8fc490cp+0,
        0x1.daa0999206e6ep+0, 0x1.d8973f4d7fba4p+0, 0x1.d691096e7f123p+0, 0x1.d48de1533c647p+0,
        0x1.d28db1037ef20p+0, 0x1.d0906328b8f6ep+0, 0x1.ce95e3068e037p+0, 0x1.cc9e1c73bd690p+0,
        0x1.caa8fbd36a2abp+0, 0x1.c8b66e0eba617p+0, 0x1.c6c6608ec8705p+0, 0x1.c4d8c136e0d1dp+0,
        0x1.c2ed7e5f07a2dp+0, 0x1.c10486cec16a0p+0, 0x1.bf1dc9b81ae82p+0, 0x1.bd3936b2ec0a2p+0,
        0x1.bb56bdb85256ep+0, 0x1.b9764f1e5f73dp+0, 0x1.b797db93f8928p+0, 0x1.b5bb541ce3d04p+0,
        0x1.b3e0aa0e00c01p+0, 0x1.b207cf09a985cp+0, 0x1.b030b4fc3a11bp+0, 0x1.ae5b4e18bb338p+0,
        0x1.ac878cd5af5cfp+0, 0x1.aab563e9ff10ap+0, 0x1.a8e4c64a0313fp+0, 0x1.a715a724aa9a7p+0,
        0x1.a547f9e0bbb8bp+0, 0x1.a37bb21a2c85ep+0, 0x1.a1b0c39f93696p+0, 0x1.9fe7226fad24dp+0,
        0x1.9e1ec2b6f7414p+0, 0x1.9c5798cd5d92ep+0, 0x1.9a919933f99c1p+0, 0x1.98ccb892e2a33p+0,
        0x1.9708ebb70d5efp+0, 0x1.954627903a28bp+0, 0x1.9384612ef0afep+0, 0x1.91c38dc288349p+0,
        0x1.9003a2973b591p+0, 0x1.8e44951446a28p+0, 0x1.8c865aba10c9dp+0, 0x1.8ac8e9205c044p+0,
        0x1.890c35f47f72ep+0, 0x1.875036f7a7ec7p+0, 0x1.8594e1fd1f5bep+0, 0x1.83da2ce899f16p+0,
        0x1.82200dac88677p+0, 0x1.80667a486ea1fp+0, 0x1.7ead68c73dee7p+0, 0x1.7cf4cf3db22fcp+0,
        0x1.7b3ca3c8b140ap+0, 0x1.7984dc8babd94p+0, 0x1.77cd6faeff44ap+0, 0x1.7616535e57320p+0,
        0x1.745f7dc70eeddp+0, 0x1.72a8e516914c7p+0, 0x1.70f27f78b68ecp+0, 0x1.6f3c43161f856p+0,
        0x1.6d8626128d354p+0, 0x1.6bd01e8b343bdp+0, 0x1.6a1a22950b2b3p+0, 0x1.6864283b13139p+0,
        0x1.66ae257c99674p+0, 0x1.64f8104b7260dp+0, 0x1.6341de8a2b0a4p+0, 0x1.618b860a31fc5p+0,
        0x1.5fd4fc89f5e39p+0, 0x1.5e1e37b2f8cd4p+0, 0x1.5c672d17d733fp+0, 0x1.5aafd23241b5ap+0,
        0x1.58f81c60e8515p+0, 0x1.574000e555f79p+0, 0x1.558774e1bb2c9p+0, 0x1.53ce6d56a6650p+0,
        0x1.5214df20a8b5cp+0, 0x1.505abef5e5563p+0, 0x1.4ea001638a606p+0, 0x1.4ce49acb311ddp+0,
        0x1.4b287f602415ep+0, 0x1.496ba32488f30p+0, 0x1.47adf9e66c338p+0, 0x1.45ef773cac75ep+0,
        0x1.44300e83c30a6p+0, 0x1.426fb2da6745fp+0, 0x1.40ae571e09e76p+0, 0x1.3eebede725a85p+0,
        0x1.3d28698561de3p+0, 0x1.3b63bbfb83d06p+0, 0x1.399dd6fb2b267p+0, 0x1.37d6abe05586cp+0,
        0x1.360e2baca52d7p+0, 0x1.3444470265ea4p+0, 0x1.3278ee1f4b933p+0, 0x1.30ac10d6e48dap+0,
        0x1.2edd9e8cba990p+0, 0x1.2d0d862e1b855p+0, 0x1.2b3bb62b82edbp+0, 0x1.29681c719d71dp+0,
        0x1.2792a661dd381p+0, 0x1.25bb40ca96bfep+0, 0x1.23e1d7de9c322p+0, 0x1.2206572c4c6ecp+0,
        0x1.2028a9940a0a3p+0, 0x1.1e48b93e0d431p+0, 0x1.1c666f8f82acfp+0, 0x1.1a81b51ee6d8bp+0,
        0x1.189a71a78da37p+0, 0x1.16b08bfc42020p+0, 0x1.14c3e9f8e9143p+0, 0x1.12d4707310fc1p+0,
        0x1.10e20329515f1p+0, 0x1.0eec84b16086fp+0, 0x1.0cf3d664bcc83p+0, 0x1.0af7d84bc6116p+0,
        0x1.08f869071f40fp+0, 0x1.06f565b72a014p+0, 0x1.04eea9e16a5ffp+0, 0x1.02e40f5398f9dp+0,
        0x1.00d56e04234eep+0, 0x1.fd8537dfa2eb1p-1, 0x1.f956d9e87d7b2p-1, 0x1.f51f654d8f68cp-1,
        0x1.f0de784f0622ap-1, 0x1.ec93abdf982d2p-1, 0x1.e83e9337a6f04p-1, 0x1.e3debb5d2ee02p-1,
        0x1.df73aa9f17656p-1, 0x1.dafce0023b8c8p-1, 0x1.d679d29e41f14p-1, 0x1.d1e9f0e80b74bp-1,
        0x1.cd4c9fe72268fp-1, 0x1.c8a13a5323b66p-1, 0x1.c3e70f9594ef8p-1, 0x1.bf1d62abf8239p-1,
        0x1.ba4368e529f40p-1, 0x1.b558487427a2fp-1, 0x1.b05b16d136ca2p-1, 0x1.ab4ad6e101636p-1,
        0x1.a62676d77cd5fp-1, 0x1.a0eccdca4a731p-1, 0x1.9b9c98e38c54dp-1, 0x1.96347822c1ef0p-1,
        0x1.90b2ea94ecf9ep-1, 0x1.8b1649e7b769fp-1, 0x1.855cc53430a7dp-1, 0x1.7f845ad46f549p-1,
        0x1.798ad10b32a7ep-1, 0x1.736dad346f8adp-1, 0x1.6d2a292000576p-1, 0x1.66bd261a37c44p-1,
        0x1.60231cfd97ef1p-1, 0x1.59580a707ce9cp-1, 0x1.52575621ad379p-1, 0x1.4b1bb363dfeadp-1,
        0x1.439ef8dff9b5ap-1, 0x1.3bd9ec1a2b134p-1, 0x1.33c3fc05791fap-1, 0x1.2b52e3863d885p-1,
        0x1.227a28f7a1afap-1, 0x1.192a69741367dp-1, 0x1.0f5053b025d4ap-1, 0x1.04d32278ebbb4p-1,
        0x1.f32482d4cd5d0p-2, 0x1.dac2f5a747281p-2, 0x1.c004d2f386207p-2, 0x1.a230c2e4cd0cbp-2,
        0x1.801fce82fa71ap-2, 0x1.57cb938443b71p-2, 0x1.250af3c2c5bc6p-2, 0x1.b8d0be3fdf702p-3,
        0x0.0p+0,
    };
    /* f(x[i]) = exp(-x[i]**2 / 2), i = 0..256. */
    static const double ppn_zig_y[257] = {
        0x1.f4a946f13842fp-12, 0x1.4a605b6b9f70dp-10, 0x1.55f9f43c1b070p-9, 0x1.08a1f03b0b205p-8,
        0x1.69ea8d90cb864p-8, 0x1.ce160f8ec683cp-8, 0x1.1a59229952f95p-7, 0x1.4eb96421acfe7p-7,
        0x1.841040d8da47ep-7, 0x1.ba48d274f8fb3p-7, 0x1.f152a4f72dd53p-7, 0x1.149033460301ap-6,
        0x1.30d388dab5e1ap-6, 0x1.4d6eaf2fbb067p-6, 0x1.6a5daf40bbf87p-6, 0x1.879d1b600c10bp-6,
        0x1.a529f4e22ebf4p-6, 0x1.c301983cd0912p-6, 0x1.e121adb828c69p-6, 0x1.ff881d718a5b5p-6,
        0x1.0f1982e968009p-5, 0x1.1e9059f1f6ab6p-5, 0x1.2e27ce83df495p-5, 0x1.3ddf2ce98eec7p-5,
        0x1.4db5d0e11275cp-5, 0x1.5dab23cf2add1p-5, 0x1.6dbe9b398d062p-5, 0x1.7defb77af271cp-5,
        0x1.8e3e02a68b5a9p-5, 0x1.9ea90f9295561p-5, 0x1.af30790385f6fp-5, 0x1.bfd3e0f282a2cp-5,
        0x1.d092efeadf162p-5, 0x1.e16d547b25185p-5, 0x1.f262c2b6c6e33p-5, 0x1.01b979e30e496p-4,
        0x1.0a4ed2c159622p-4, 0x1.12f14d0f2179dp-4, 0x1.1ba0cbe97897ep-4, 0x1.245d344dd0d8fp-4,
        0x1.2d266cf9b310dp-4, 0x1.35fc5e4d93e69p-4, 0x1.3edef23269a81p-4, 0x1.47ce1401b2212p-4,
        0x1.50c9b06fa2babp-4, 0x1.59d1b5774669dp-4, 0x1.62e6124854d10p-4, 0x1.6c06b73694a46p-4,
        0x1.753395aaa116dp-4, 0x1.7e6ca013eefccp-4, 0x1.87b1c9dbf2846p-4, 0x1.9103075a4a09fp-4,
        0x1.9a604dc9d5b0bp-4, 0x1.a3c9933ea627bp-4, 0x1.ad3ece9caf627p-4, 0x1.b6bff78f2e228p-4,
        0x1.c04d0680b100ap-4, 0x1.c9e5f493b7404p-4, 0x1.d38abb9bd91dcp-4, 0x1.dd3b56176e88bp-4,
        0x1.e6f7bf29aa546p-4, 0x1.f0bff29520e16p-4, 0x1.fa93ecb6b222bp-4, 0x1.0239d54067d29p-3,
        0x1.072f94bb8bf84p-3, 0x1.0c2b33d5209b9p-3, 0x1.112cb1da26eb8p-3, 0x1.16340e5a82d62p-3,
        0x1.1b41492757d42p-3, 0x1.2054625183c34p-3, 0x1.256d5a2835eb6p-3, 0x1.2a8c3137a071bp-3,
        0x1.2fb0e847c2a65p-3, 0x1.34db805b4ab89p-3, 0x1.3a0bfaae8d7eep-3, 0x1.3f4258b6931afp-3,
        0x1.447e9c20375d6p-3, 0x1.49c0c6cf5ce30p-3, 0x1.4f08dade31fc6p-3, 0x1.5456da9c8683bp-3,
        0x1.59aac88f31d74p-3, 0x1.5f04a76f88400p-3, 0x1.64647a2adf1a4p-3, 0x1.69ca43e21f261p-3,
        0x1.6f3607e964719p-3, 0x1.74a7c9c7ab5a8p-3, 0x1.7a1f8d368a323p-3, 0x1.7f9d5621f7174p-3,
        0x1.852128a819a38p-3, 0x1.8aab09192815ap-3, 0x1.903afbf74fa68p-3, 0x1.95d105f6a7c27p-3,
        0x1.9b6d2bfd2fe5ap-3, 0x1.a10f7322d7e3cp-3, 0x1.a6b7e0b19267cp-3, 0x1.ac667a2571805p-3,
        0x1.b21b452ccd13ap-3, 0x1.b7d647a8731abp-3, 0x1.bd9787abe18a2p-3, 0x1.c35f0b7d89d46p-3,
        0x1.c92cd9971df52p-3, 0x1.cf00f8a5e6fcap-3, 0x1.d4db6f8b2514cp-3, 0x1.dabc455c79006p-3,
        0x1.e0a3816457181p-3, 0x1.e6912b2283cd9p-3, 0x1.ec854a4c99c3ep-3, 0x1.f27fe6ce998ccp-3,
        0x1.f88108cb8322fp-3, 0x1.fe88b89df93bcp-3, 0x1.024b7f6c7747ap-2, 0x1.0555f2242e9d4p-2,
        0x1.0863b8f904331p-2, 0x1.0b74d88b242d4p-2, 0x1.0e895598709bdp-2, 0x1.11a134fcf241dp-2,
        0x1.14bc7bb34ee63p-2, 0x1.17db2ed5454e5p-2, 0x1.1afd539c2f04cp-2, 0x1.1e22ef6188113p-2,
        0x1.214c079f7cc9cp-2, 0x1.2478a1f17de86p-2, 0x1.27a8c414db11bp-2, 0x1.2adc73e963fdap-2,
        0x1.2e13b77210764p-2, 0x1.314e94d5af62dp-2, 0x1.348d125f9d19cp-2, 0x1.37cf368081376p-2,
        0x1.3b1507cf143acp-2, 0x1.3e5e8d08ed2d8p-2, 0x1.41abcd1357a18p-2, 0x1.44fccefc324fcp-2,
        0x1.485199fad6ad4p-2, 0x1.4baa357109ca2p-2, 0x1.4f06a8ebf6d91p-2, 0x1.5266fc2533beap-2,
        0x1.55cb3703d00fdp-2, 0x1.5933619d6eebcp-2, 0x1.5c9f84376c241p-2, 0x1.600fa7480d2c6p-2,
        0x1.6383d377be513p-2, 0x1.66fc11a25cbdfp-2, 0x1.6a786ad88de1ep-2, 0x1.6df8e86124ca6p-2,
        0x1.717d93ba96148p-2, 0x1.7506769c7b1e8p-2, 0x1.78939af9252e6p-2, 0x1.7c250aff414acp-2,
        0x1.7fbad11b8d90dp-2, 0x1.8354f7faa0dd5p-2, 0x1.86f38a8ac5ab2p-2, 0x1.8a9693fde9185p-2,
        0x1.8e3e1fcb9f113p-2, 0x1.91ea39b33cb13p-2, 0x1.959aedbe09f8fp-2, 0x1.995048418c0c3p-2,
        0x1.9d0a55e1e93dcp-2, 0x1.a0c923946843bp-2, 0x1.a48cbea20c04bp-2, 0x1.a85534aa4d87dp-2,
        0x1.ac2293a5f5a9ap-2, 0x1.aff4e9ea18550p-2, 0x1.b3cc462b331c8p-2, 0x1.b7a8b78071319p-2,
        0x1.bb8a4d6716d8fp-2, 0x1.bf7117c616a14p-2, 0x1.c35d26f1d2cb5p-2, 0x1.c74e8bb00d7c3p-2,
        0x1.cb45573c0a843p-2, 0x1.cf419b4ae5b69p-2, 0x1.d3436a102107bp-2, 0x1.d74ad6426de2dp-2,
        0x1.db57f320b56abp-2, 0x1.df6ad47763a03p-2, 0x1.e3838ea5f9b7ep-2, 0x1.e7a236a4ec3bfp-2,
        0x1.ebc6e20bd1f4fp-2, 0x1.eff1a717e8f8ep-2, 0x1.f4229cb2f7aecp-2, 0x1.f859da7a900c4p-2,
        0x1.fc9778c7bbd9bp-2, 0x1.006dc85b8cac2p-1, 0x1.02931e18b8228p-1, 0x1.04bbcafa63f2bp-1,
        0x1.06e7dccf03c33p-1, 0x1.091761d995d7dp-1, 0x1.0b4a68d70d9abp-1, 0x1.0d8101041429cp-1,
        0x1.0fbb3a232590fp-1, 0x1.11f9248311f34p-1, 0x1.143ad105ea998p-1, 0x1.16805128639d6p-1,
        0x1.18c9b709b3c4dp-1, 0x1.1b171573fd10ep-1, 0x1.1d687fe549966p-1, 0x1.1fbe0a992961dp-1,
        0x1.2217ca92ff7eep-1, 0x1.2475d5a90db80p-1, 0x1.26d84290504e9p-1, 0x1.293f28e93cd11p-1,
        0x1.2baaa14d79545p-1, 0x1.2e1ac55ea3beap-1, 0x1.308fafd6438ebp-1, 0x1.33097c9703a32p-1,
        0x1.358848bf550e6p-1, 0x1.380c32bda00d2p-1, 0x1.3a955a662cd0bp-1, 0x1.3d23e10af31a1p-1,
        0x1.3fb7e99585b7fp-1, 0x1.425198a355fe0p-1, 0x1.44f114a493676p-1, 0x1.479685fdf500fp-1,
        0x1.4a42172dc5276p-1, 0x1.4cf3f4f494ebep-1, 0x1.4fac4e820b665p-1, 0x1.526b55a656cd3p-1,
        0x1.55313f08d9e44p-1, 0x1.57fe4264c8d8cp-1, 0x1.5ad29acc85c85p-1, 0x1.5dae86f4aff66p-1,
        0x1.6092498802661p-1, 0x1.637e298550c15p-1, 0x1.667272a92e320p-1, 0x1.696f75e513b26p-1,
        0x1.6c7589e635a86p-1, 0x1.6f850baea7aebp-1, 0x1.729e5f43f6d0ep-1, 0x1.75c1f0770d852p-1,
        0x1.78f033ca0b0d2p-1, 0x1.7c29a779c6855p-1, 0x1.7f6ed4b20e2c8p-1, 0x1.82c050f56cf6bp-1,
        0x1.861ebfc37bca8p-1, 0x1.898ad48badefep-1, 0x1.8d0554fe60aa4p-1, 0x1.908f1bd31714bp-1,
        0x1.94291c21b7a43p-1, 0x1.97d4657617abep-1, 0x1.9b9228d24067ep-1, 0x1.9f63bee651fd5p-1,
        0x1.a34aafdf5af0cp-1, 0x1.a748bd550c9dep-1, 0x1.ab5fef17a2502p-1, 0x1.af92a3f6ce8a0p-1,
        0x1.b3e3a8234dd0ep-1, 0x1.b85653a8ff54fp-1, 0x1.bceeb4ee1dc7fp-1, 0x1.c1b1cd9eebae7p-1,
        0x1.c6a5ecea9787cp-1, 0x1.cbd33a8a72de8p-1, 0x1.d144978a119d9p-1, 0x1.d70920657bcefp-1,
        0x1.dd36fa704de92p-1, 0x1.e3f11e027f074p-1, 0x1.eb7545b6ca912p-1, 0x1.f446ac979f084p-1,
        0x1.0000000000000p+0,
    };
    /* 1 / (x[i] - x[i + 1]), for the chord squeeze of the wedges. */
    static const double ppn_zig_q[256] = {
        0x0.0p+0, 0x1.3862e00913946p+2, 0x1.effeb6d46c4e0p+2, 0x1.4e7bf699dce37p+3,
        0x1.a14990f1025dbp+3, 0x1.f12dc877459c1p+3, 0x1.1f50337ba1974p+4, 0x1.44f9ace66491ep+4,
        0x1.69b1673fe529fp+4, 0x1.8d8e8f8c299c1p+4, 0x1.b0a39e233c1ddp+4, 0x1.d2ffadbfad44ep+4,
        0x1.f4af593ce1ecbp+4, 0x1.0adea8fad6b46p+5, 0x1.1b1964d73b6abp+5, 0x1.2b0bdfc31d588p+5,
        0x1.3ab99ca795362p+5, 0x1.4a25b79e2a066p+5, 0x1.5952f6e30e3b7p+5, 0x1.6843d8322d3b6p+5,
        0x1.76fa9b776468ep+5, 0x1.85794b768ee3ep+5, 0x1.93c1c4e269bf6p+5, 0x1.a1d5bc39e277cp+5,
        0x1.afb6c2ad43746p+5, 0x1.bd664a3cdd4a2p+5, 0x1.cae5a93747170p+5, 0x1.d8361d34d0260p+5,
        0x1.e558cda7616b5p+5, 0x1.f24ece113d40bp+5, 0x1.ff191ff15c93bp+5, 0x1.05dc5a38a7a28p+6,
        0x1.0c1736ef25fc1p+6, 0x1.123d907aad854p+6, 0x1.184fcb04921cfp+6, 0x1.1e4e450364c4cp+6,
        0x1.243957af2a259p+6, 0x1.2a1157693f70cp+6, 0x1.2fd6941986dd3p+6, 0x1.35895982368c2p+6,
        0x1.3b29ef8b710fdp+6, 0x1.40b89a87a3ffbp+6, 0x1.46359b71854f9p+6, 0x1.4ba130246a303p+6,
        0x1.50fb938f990b6p+6, 0x1.5644fde522df4p+6, 0x1.5b7da4c4be251p+6, 0x1.60a5bb630e04dp+6,
        0x1.65bd72adb3684p+6, 0x1.6ac4f96c7a2bep+6, 0x1.6fbc7c5feaf00p+6, 0x1.74a4265d819d2p+6,
        0x1.797c2069c1637p+6, 0x1.7e4491d058a4fp+6, 0x1.82fda03a81b17p+6, 0x1.87a76fc3c8664p+6,
        0x1.8c42230d5886dp+6, 0x1.90cddb4ff4eb0p+6, 0x1.954ab86cb4585p+6, 0x1.99b8d8fc9df78p+6,
        0x1.9e185a5f3cc69p+6, 0x1.a26958c83f254p+6, 0x1.a6abef4c35937p+6, 0x1.aae037ec81ee2p+6,
        0x1.af064ba286ddfp+6, 0x1.b31e426a25bb8p+6, 0x1.b728334b97e55p+6, 0x1.bb243464af5dbp+6,
        0x1.bf125af1897ddp+6, 0x1.c2f2bb54bd9dbp+6, 0x1.c6c5691f10b90p+6, 0x1.ca8a7716b6597p+6,
        0x1.ce41f73e265cdp+6, 0x1.d1ebfada8e911p+6, 0x1.d5889279e68f3p+6, 0x1.d917cdf8abbafp+6,
        0x1.dc99bc874ad7ap+6, 0x1.e00e6caf3c33cp+6, 0x1.e375ec57d70d3p+6, 0x1.e6d048cae0724p+6,
        0x1.ea1d8eb8d993dp+6, 0x1.ed5dca3d112fap+6, 0x1.f09106e17b758p+6, 0x1.f3b74fa253890p+6,
        0x1.f6d0aef189890p+6, 0x1.f9dd2eb9ffcd9p+6, 0x1.fcdcd86299ddep+6, 0x1.ffcfb4d11f6fdp+6,
        0x1.015ae6367acd5p+7, 0x1.02c79390d81ddp+7, 0x1.042de630beb62p+7, 0x1.058de193b6614p+7,
        0x1.06e788fcc9fc0p+7, 0x1.083adf75893bcp+7, 0x1.0987e7cefa999p+7, 0x1.0acea4a27e072p+7,
        0x1.0c0f1852a106ep+7, 0x1.0d49450be4b61p+7, 0x1.0e7d2cc5764bdp+7, 0x1.0faad141da88dp+7,
        0x1.10d2340f8c87ep+7, 0x1.11f3568990585p+7, 0x1.130e39d7f9c31p+7, 0x1.1422def06792dp+7,
        0x1.1531469673b12p+7, 0x1.1639715c1863fp+7, 0x1.173b5fa20aee7p+7, 0x1.183711980bd48p+7,
        0x1.192c873d2cf80p+7, 0x1.1a1bc0600dc36p+7, 0x1.1b04bc9f0d8cbp+7, 0x1.1be77b68745adp+7,
        0x1.1cc3fbfa922d9p+7, 0x1.1d9a3d63d4e78p+7, 0x1.1e6a3e82d4f1cp+7, 0x1.1f33fe0658adcp+7,
        0x1.1ff77a6d4ec53p+7, 0x1.20b4b206bf628p+7, 0x1.216ba2f1b458dp+7, 0x1.221c4b1d183ddp+7,
        0x1.22c6a8478c735p+7, 0x1.236ab7ff361a1p+7, 0x1.240877a181e36p+7, 0x1.249fe45adeb26p+7,
        0x1.2530fb266efa2p+7, 0x1.25bbb8cdb0bffp+7, 0x1.264019e81c26dp+7, 0x1.26be1adab8631p+7,
        0x1.2735b7d7a6f0bp+7, 0x1.27a6ecdda4e33p+7, 0x1.2811b5b7821fap+7, 0x1.28760dfb8e4e1p+7,
        0x1.28d3f10afb495p+7, 0x1.292b5a1134cf3p+7, 0x1.297c44032d2e5p+7, 0x1.29c6a99e9ea7dp+7,
        0x1.2a0a856941379p+7, 0x1.2a47d1aff46c5p+7, 0x1.2a7e8885dcf60p+7, 0x1.2aaea3c375871p+7,
        0x1.2ad81d0592a10p+7, 0x1.2afaedac58daap+7, 0x1.2b170eda25293p+7, 0x1.2b2c797266ab1p+7,
        0x1.2b3b2618696bcp+7, 0x1.2b430d2e118f8p+7, 0x1.2b4426d2864a4p+7, 0x1.2b3e6ae0cbfc8p+7,
        0x1.2b31d0ee4cc63p+7, 0x1.2b1e50494ed25p+7, 0x1.2b03dff75793cp+7, 0x1.2ae276b37b1e0p+7,
        0x1.2aba0aec96b69p+7, 0x1.2a8a92c375ad0p+7, 0x1.2a540408df785p+7, 0x1.2a16543b8e06ap+7,
        0x1.29d178860b1b4p+7, 0x1.298565bc73832p+7, 0x1.2932105a1ed2cp+7, 0x1.28d76c7f2a4bbp+7,
        0x1.28756dede56e9p+7, 0x1.280c08081ea65p+7, 0x1.279b2dcc4e5c0p+7, 0x1.2722d1d29ea7dp+7,
        0x1.26a2e649cdb08p+7, 0x1.261b5cf3e8ab9p+7, 0x1.258c2722dd486p+7, 0x1.24f535b4df2acp+7,
        0x1.245679109eec7p+7, 0x1.23afe1214fef7p+7, 0x1.23015d527a16dp+7, 0x1.224adc8b9445fp+7,
        0x1.218c4d2b64495p+7, 0x1.20c59d03208bdp+7, 0x1.1ff6b9514fb3bp+7, 0x1.1f1f8ebc61f6bp+7,
        0x1.1e40094cffa01p+7, 0x1.1d58146807e7ep+7, 0x1.1c679ac83ad71p+7, 0x1.1b6e86778886cp+7,
        0x1.1a6cc0c7ff90fp+7, 0x1.1962324c54062p+7, 0x1.184ec2cff7ab0p+7, 0x1.1732594ebba3ep+7,
        0x1.160cdbebf3051p+7, 0x1.14de2fe90cff5p+7, 0x1.13a6399b9c8d8p+7, 0x1.1264dc62c29ddp+7,
        0x1.1119fa9beeaf4p+7, 0x1.0fc57596e8beap+7, 0x1.0e672d89161fep+7, 0x1.0cff017fe981dp+7,
        0x1.0b8ccf526cd0fp+7, 0x1.0a107391d1f97p+7, 0x1.0889c978f5a1dp+7, 0x1.06f8aadabcd4cp+7,
        0x1.055cf00f342f3p+7, 0x1.03b66fdf54793p+7, 0x1.0204ff6f4d8f1p+7, 0x1.00487227351a9p+7,
        0x1.fd013333e5925p+6, 0x1.f95a8ad47eb28p+6, 0x1.f59c865b0ddc2p+6, 0x1.f1c6bc98f314bp+6,
        0x1.edd8bfc21c6f2p+6, 0x1.e9d21d236c472p+6, 0x1.e5b25cd2e96b8p+6, 0x1.e17901591039ap+6,
        0x1.dd25875285d4fp+6, 0x1.d8b7650955724p+6, 0x1.d42e0a04c28dfp+6, 0x1.cf88de8e99182p+6,
        0x1.cac7432cbd52ap+6, 0x1.c5e8900d8f36ap+6, 0x1.c0ec14657f7a6p+6, 0x1.bbd115bbf5217p+6,
        0x1.b696cf2557fd9p+6, 0x1.b13c7067bc46dp+6, 0x1.abc11d0742812p+6, 0x1.a623eb36c19afp+6,
        0x1.a063e2a8bae7fp+6, 0x1.9a7ffb3be2830p+6, 0x1.94771b7dab541p+6, 0x1.8e4816fc3b02dp+6,
        0x1.87f1ac5fe35bbp+6, 0x1.81728342ac680p+6, 0x1.7ac929ba8827cp+6, 0x1.73f411885b904p+6,
        0x1.6cf18cdafc626p+6, 0x1.65bfca9168ca5p+6, 0x1.5e5cd1e293ec3p+6, 0x1.56c67d4ad16bep+6,
        0x1.4efa7496b80eep+6, 0x1.46f625d8973a5p+6, 0x1.3eb6bd0764929p+6, 0x1.363919f2ff0fbp+6,
        0x1.2d79c41fd8593p+6, 0x1.2474dbf8a2dfdp+6, 0x1.1b26089336a73p+6, 0x1.118860ffd5a95p+6,
        0x1.07964fb4f133ap+6, 0x1.fa92dc29d1f61p+5, 0x1.e534aa572f323p+5, 0x1.cf00bed1155b9p+5,
        0x1.b7e2a9eec8c24p+5, 0x1.9fc1f1ad3b7dep+5, 0x1.8680cdaafc1d7p+5, 0x1.6bfa500812412p+5,
        0x1.4fff9e64bad0bp+5, 0x1.32538e63c17adp+5, 0x1.12a34b6ea0941p+5, 0x1.e0f20d326117bp+4,
        0x1.96421df965163p+4, 0x1.42d26a276b8f4p+4, 0x1.c321c28191f12p+3, 0x1.295702855859fp+2,
    };
    /* +1: f is concave over layer i (the chord is below it), -1: convex, 0: neither. */
    static const int8_t ppn_zig_shape[256] = {
        0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
        1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    };

    #define PPN_TWO_M32 (1.0 / 4294967296.0)
    """
    const double ppn_zig_r
    const uint32_t* ppn_zig_k
    const double* ppn_zig_w
    const double* ppn_zig_x
    const double* ppn_zig_y
    const double* ppn_zig_q
    const signed char* ppn_zig_shape
    const double TWO_M32 "PPN_TWO_M32"


cdef enum:
    BLOCKS = 4              # Philox blocks per refill of a Stream
    HALVES = 8 * BLOCKS
    CHUNK = 256             # deviates drawn per pass of the two-pass loops
    MAX_HOLES = 1 << 20     # most rectangles a dropout may cut
    ERASE_ATTEMPTS = 10     # torchvision's RandomErasing tries this often

# Largest element count of an image a kernel makes (checked before allocating).
cdef int64_t MAX_ELEMENTS = (<int64_t>1) << 31

cdef const char* MALFORMED = "malformed instruction"


# ---------------------------------------------------------------- random stream

ctypedef struct Stream:
    uint64_t key[2]
    uint64_t ctr[4]
    int pos                 # next unread half of buf
    uint32_t buf[HALVES]


cdef inline void stream_init(Stream* s, uint64_t seed, uint64_t key, int64_t sample) noexcept nogil:
    """The stream of ``rng_init(seed, key, sample)``, as 32-bit halves."""
    s.key[0] = seed
    s.key[1] = key
    s.ctr[0] = 0
    s.ctr[1] = <uint64_t>sample
    s.ctr[2] = 0
    s.ctr[3] = 0
    s.pos = HALVES


cdef void stream_refill(Stream* s) noexcept nogil:
    cdef uint64_t words[4]
    cdef int b, k
    for b in range(BLOCKS):
        pp_philox4x64_10(s.ctr, s.key, words)
        s.ctr[0] += 1
        for k in range(4):
            s.buf[8 * b + 2 * k] = <uint32_t>words[k]
            s.buf[8 * b + 2 * k + 1] = <uint32_t>(words[k] >> 32)
    s.pos = 0


cdef inline uint32_t next32(Stream* s) noexcept nogil:
    if s.pos >= HALVES:
        stream_refill(s)
    s.pos += 1
    return s.buf[s.pos - 1]


cdef void gen_decisions(Stream* s, uint8_t* d, Py_ssize_t n, uint64_t t1,
                        uint64_t t2) noexcept nogil:
    """``n`` decisions into ``d``: 0 with probability t1 / 2**40, 1 with
    (t2 - t1) / 2**40, else 2 (t1 <= t2 <= 2**40).  Each compares a 40-bit
    uniform v with t1 and t2, drawn lazily: its top byte is the next byte of
    a half taken from the stream (4 decisions per half, low byte first), its
    low 32 bits the next half of the stream only when that byte equals the top
    byte of t1 or t2 and so cannot decide alone (probability <= 2/256).
    Unused bytes of the last half are dropped, so ``n`` must be a multiple of
    4 except for a kernel's last call."""
    cdef uint32_t top1 = <uint32_t>(t1 >> 32), top2 = <uint32_t>(t2 >> 32)
    cdef uint32_t h, b
    cdef uint64_t v
    cdef Py_ssize_t i = 0, k, m
    while i < n:
        h = next32(s)
        m = 4 if n - i >= 4 else n - i
        for k in range(m):
            b = (h >> (8 * k)) & 255
            v = (<uint64_t>b) << 32
            if b == top1 or b == top2:
                v |= next32(s)
            d[i + k] = 0 if v < t1 else (1 if v < t2 else 2)
        i += m


cdef inline double open_unit(uint32_t h) noexcept nogil:
    """(h + 1/2) / 2**32, in (0, 1): safe to take the logarithm of."""
    return (<double>h + 0.5) * TWO_M32


cdef inline uint32_t below32(Stream* s, uint32_t n) noexcept nogil:
    """Unbiased integer in [0, n) for n >= 1: Lemire's method on halves."""
    cdef uint64_t m = <uint64_t>next32(s) * n
    cdef uint32_t t
    if <uint32_t>m < n:
        t = (<uint32_t>0 - n) % n
        while <uint32_t>m < t:
            m = <uint64_t>next32(s) * n
    return <uint32_t>(m >> 32)


cdef double normal_slow(Stream* s, uint32_t u) noexcept nogil:
    """The ziggurat after draw ``u`` missed its layer's fast region."""
    cdef int i
    cdef uint32_t j
    cdef double x, ax, a, b, y, t, e
    while True:
        i = u & 255
        j = u >> 9
        x = (<double>j + 0.5) * ppn_zig_w[u & 511]
        if j < ppn_zig_k[i]:
            return x
        if i == 0:
            # Beyond r: Marsaglia's (1964) exact tail method.
            while True:
                a = -det_log(open_unit(next32(s))) / ppn_zig_r
                b = -det_log(open_unit(next32(s)))
                if b + b >= a * a:
                    break
            x = ppn_zig_r + a
            return -x if u & 256 else x
        # Wedge: accept if a point uniform over the layer at |x| is under the
        # curve.  e in [0, 1) is its height, t the chord's at |x|: where f is
        # concave the chord is below it (e <= t accepts), where convex above
        # (e > t rejects); only the rest needs the logarithm.
        e = open_unit(next32(s))
        ax = x if x >= 0 else -x
        t = (ppn_zig_x[i] - ax) * ppn_zig_q[i]
        if ppn_zig_shape[i] > 0 and e <= t:
            return x
        if not (ppn_zig_shape[i] < 0 and e > t):
            y = ppn_zig_y[i] + e * (ppn_zig_y[i + 1] - ppn_zig_y[i])
            if det_log(y) < -0.5 * x * x:
                return x
        u = next32(s)


cdef void gen_normals(Stream* s, double* z, Py_ssize_t n) noexcept nogil:
    """``n`` standard normal deviates into ``z``: the ziggurat's fast path
    over the buffered halves, with the position kept in a register."""
    cdef Py_ssize_t i = 0
    cdef int k
    cdef uint32_t u, j
    while i < n:
        if s.pos >= HALVES:
            stream_refill(s)
        k = s.pos
        while k < HALVES and i < n:
            u = s.buf[k]
            k += 1
            j = u >> 9
            if j < ppn_zig_k[u & 255]:
                z[i] = (<double>j + 0.5) * ppn_zig_w[u & 511]
            else:
                s.pos = k
                z[i] = normal_slow(s, u)
                k = s.pos
            i += 1
        s.pos = k


cdef void gen_uniforms(Stream* s, double* u, Py_ssize_t n) noexcept nogil:
    """``n`` uniform numbers ``h * 2**-32`` in [0, 1) into ``u``."""
    cdef Py_ssize_t i = 0, t, m
    while i < n:
        if s.pos >= HALVES:
            stream_refill(s)
        m = HALVES - s.pos
        if m > n - i:
            m = n - i
        for t in range(m):
            u[i + t] = <double>s.buf[s.pos + t] * TWO_M32
        s.pos += <int>m
        i += m


cdef inline double normal(Stream* s) noexcept nogil:
    """A standard normal deviate (ziggurat; see the module docstring)."""
    cdef uint32_t u = next32(s)
    cdef uint32_t j = u >> 9
    if j < ppn_zig_k[u & 255]:
        return (<double>j + 0.5) * ppn_zig_w[u & 511]
    return normal_slow(s, u)


# ---------------------------------------------------------------- pixels

cdef inline void put(pixel_t* p, double x) noexcept nogil:
    """``store_pixel`` of _image.pxd: round half to even, saturate, NaN -> 0
    (float32 stores the value as it is)."""
    if pixel_t is uint8_t:
        if not (x > 0.0):
            p[0] = 0
        elif x >= 255.0:
            p[0] = 255
        else:
            p[0] = <uint8_t>round_even(x)
    elif pixel_t is uint16_t:
        if not (x > 0.0):
            p[0] = 0
        elif x >= 65535.0:
            p[0] = 65535
        else:
            p[0] = <uint16_t>round_even(x)
    elif pixel_t is int16_t:
        if x != x:
            p[0] = 0
        elif x <= -32768.0:
            p[0] = -32768
        elif x >= 32767.0:
            p[0] = 32767
        else:
            p[0] = <int16_t>round_even(x)
    else:
        p[0] = <float>x


cdef inline void put_sat(pixel_t* p, double x) noexcept nogil:
    """``put`` for a value that is not NaN, without branches (so that loops
    of it vectorise); the same results."""
    if pixel_t is uint8_t:
        x = x if x > 0.0 else 0.0
        x = x if x < 255.0 else 255.0
        p[0] = <uint8_t><int>round_even(x)
    elif pixel_t is uint16_t:
        x = x if x > 0.0 else 0.0
        x = x if x < 65535.0 else 65535.0
        p[0] = <uint16_t><int>round_even(x)
    elif pixel_t is int16_t:
        x = x if x > -32768.0 else -32768.0
        x = x if x < 32767.0 else 32767.0
        p[0] = <int16_t><int>round_even(x)
    else:
        p[0] = <float>x


cdef inline void put_int(pixel_t* p, double x) noexcept nogil:
    """``put`` for an integer type and ``|x| < 2**31``: rounded in double,
    saturated as an integer, so that loops of it vectorise."""
    cdef int r = <int>round_even(x)
    if pixel_t is uint8_t:
        r = r if r > 0 else 0
        p[0] = <uint8_t>(r if r < 255 else 255)
    elif pixel_t is uint16_t:
        r = r if r > 0 else 0
        p[0] = <uint16_t>(r if r < 65535 else 65535)
    elif pixel_t is int16_t:
        r = r if r > -32768 else -32768
        p[0] = <int16_t>(r if r < 32767 else 32767)
    else:
        p[0] = <float>x


# |x| below this goes through put_int (the deviates are at most about 10.1).
cdef double INT_SAFE = 1.0e9


cdef inline bint finite(double x) noexcept nogil:
    return x == x and x - x == 0.0


cdef inline uint64_t threshold(double p) noexcept nogil:
    """floor(p * 2**40) for p in [0, 1]: a threshold of ``gen_decisions``."""
    return <uint64_t>(p * 1099511627776.0)


# ---------------------------------------------------------------- parameters

cdef int expect(Frame* f, const Instr* ins, int n_args, int n_iparams) noexcept nogil:
    """The instruction has the operands its node encodes (a guard against
    hand-edited program files)."""
    if ins.n_args != n_args or ins.n_iparams != n_iparams:
        return fail(f, MALFORMED)
    return 0


cdef int get_number(Frame* f, const Instr* ins, int k, const char* what,
                    double* out) noexcept nogil:
    """Input ``k``: a finite scalar."""
    cdef Value* v = arg(f, ins, k)
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if not finite(out[0]):
        snprintf(f.error, ERROR_SIZE, "%s must be finite, got %g", what, out[0])
        return -1
    return 0


cdef int get_integer(Frame* f, const Instr* ins, int k, const char* what,
                     int64_t* out) noexcept nogil:
    """Input ``k``: an integer scalar (a float must be integral)."""
    cdef Value* v = arg(f, ins, k)
    cdef double x
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    if v.dtype == DT_FLOAT32 or v.dtype == DT_FLOAT64:
        x = load_double(v.data, v.dtype)
        if not finite(x) or fabs(x) > 9.0e15 or x != rint(x):
            snprintf(f.error, ERROR_SIZE, "%s must be an integer, got %g", what, x)
            return -1
    out[0] = load_int(v.data, v.dtype)
    return 0


cdef int get_probability(Frame* f, const Instr* ins, int k, const char* what,
                         double* out) noexcept nogil:
    cdef Value* v = arg(f, ins, k)
    if v.kind != KIND_TENSOR or v.length != 1:
        snprintf(f.error, ERROR_SIZE, "%s must be a scalar", what)
        return -1
    out[0] = load_double(v.data, v.dtype)
    if not (0.0 <= out[0] <= 1.0):
        snprintf(f.error, ERROR_SIZE, "%s must be in [0, 1], got %g", what, out[0])
        return -1
    return 0


cdef int get_layout(Frame* f, const Instr* ins, bint allow_bool, int* dtype, int* ndim,
                    Py_ssize_t* channels) noexcept nogil:
    """iparams 0..2 of the image makers: element type, rank, channels."""
    if ins.n_iparams < 3:
        return fail(f, MALFORMED)
    dtype[0] = <int>iparam(f, ins, 0)
    ndim[0] = <int>iparam(f, ins, 1)
    channels[0] = <Py_ssize_t>iparam(f, ins, 2)
    if not (image_dtype_ok(dtype[0]) or (allow_bool and dtype[0] == DT_BOOL)):
        return fail(f, MALFORMED)
    if not ((ndim[0] == 2 and channels[0] == 1)
            or (ndim[0] == 3 and 1 <= channels[0] <= 4)):
        return fail(f, MALFORMED)
    return 0


cdef int get_size(Frame* f, const Instr* ins, Py_ssize_t channels, Py_ssize_t* height,
                  Py_ssize_t* width) noexcept nogil:
    """Inputs 0 and 1: the height and width of an image to make."""
    cdef int64_t h, w
    if get_integer(f, ins, 0, "image height", &h) != 0:
        return -1
    if get_integer(f, ins, 1, "image width", &w) != 0:
        return -1
    if h <= 0:
        snprintf(f.error, ERROR_SIZE, "image height must be > 0, got %lld", <long long>h)
        return -1
    if w <= 0:
        snprintf(f.error, ERROR_SIZE, "image width must be > 0, got %lld", <long long>w)
        return -1
    if h > MAX_ELEMENTS or w > MAX_ELEMENTS or h * w > MAX_ELEMENTS / channels:
        snprintf(f.error, ERROR_SIZE,
                 "an image of %lld x %lld x %zd is too large (more than 2**31 elements)",
                 <long long>h, <long long>w, channels)
        return -1
    height[0] = <Py_ssize_t>h
    width[0] = <Py_ssize_t>w
    return 0


cdef int get_channel_values(Frame* f, const Instr* ins, int k, Py_ssize_t channels,
                            const char* what, double* out) noexcept nogil:
    """Input ``k``: a finite number, or one per channel, into ``out[0:channels]``."""
    cdef Value* v = arg(f, ins, k)
    cdef Py_ssize_t c
    if v.kind != KIND_TENSOR or v.ndim > 1 or v.length < 1:
        snprintf(f.error, ERROR_SIZE,
                 "%s must be a number or a vector of one number per channel", what)
        return -1
    if v.length != 1 and v.length != channels:
        snprintf(f.error, ERROR_SIZE, "%s has %zd values for an image of %zd channels",
                 what, v.length, channels)
        return -1
    for c in range(channels):
        out[c] = load_double(v.data + (0 if v.length == 1 else c) * itemsize(v.dtype), v.dtype)
        if not finite(out[c]):
            snprintf(f.error, ERROR_SIZE, "%s must be finite, got %g", what, out[c])
            return -1
    return 0


cdef int get_image(Frame* f, const Instr* ins, int k, ImageView* img) noexcept nogil:
    if as_image(f, arg(f, ins, k), img) != 0:
        return -1
    return 0


cdef Value* copy_layout(Frame* f, const Instr* ins, const ImageView* img) noexcept nogil:
    """A fresh output image with the layout and type of ``img``."""
    return new_image(f, ins, img.dtype, img.height, img.width, img.channels, img.ndim)


# ---------------------------------------------------------------- noise images

cdef void fill_normal(pixel_t* out, Py_ssize_t n, double mean, double std,
                      Stream* s) noexcept nogil:
    cdef double z[CHUNK]
    cdef Py_ssize_t i = 0, t, m
    cdef bint small = fabs(mean) + 16.0 * std < INT_SAFE
    while i < n:
        m = CHUNK if n - i > CHUNK else n - i
        gen_normals(s, z, m)
        if pixel_t is float:
            for t in range(m):
                out[i + t] = <float>(mean + std * z[t])
        elif small:
            for t in range(m):
                put_int(&out[i + t], mean + std * z[t])
        else:
            for t in range(m):
                put_sat(&out[i + t], mean + std * z[t])
        i += m


cdef int k_noise_gaussian_image(Frame* f, const Instr* ins) noexcept nogil:
    """mean + std * N(0, 1) per element.  args: height, width, mean, std;
    iparams: dtype, ndim, channels."""
    cdef Stream s
    cdef int dtype, ndim
    cdef Py_ssize_t h, w, c
    cdef double mean, std
    cdef Value* v
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 4, 3) != 0 or get_layout(f, ins, False, &dtype, &ndim, &c) != 0:
        return -1
    if get_size(f, ins, c, &h, &w) != 0:
        return -1
    if get_number(f, ins, 2, "mean", &mean) != 0 or get_number(f, ins, 3, "std", &std) != 0:
        return -1
    if std < 0:
        snprintf(f.error, ERROR_SIZE, "std must be >= 0, got %g", std)
        return -1
    v = new_image(f, ins, dtype, h, w, c, ndim)
    if v == NULL:
        return -1
    if dtype == DT_UINT8:
        fill_normal(<uint8_t*>v.data, v.length, mean, std, &s)
    elif dtype == DT_UINT16:
        fill_normal(<uint16_t*>v.data, v.length, mean, std, &s)
    elif dtype == DT_INT16:
        fill_normal(<int16_t*>v.data, v.length, mean, std, &s)
    else:
        fill_normal(<float*>v.data, v.length, mean, std, &s)
    return 0


cdef void fill_uniform_int(pixel_t* out, Py_ssize_t n, int64_t low, uint32_t span,
                           Stream* s) noexcept nogil:
    """Integers in [low, low + span); span in 1..65536."""
    cdef Py_ssize_t i = 0, k
    cdef uint32_t h
    if span == 256:
        while i < n:
            h = next32(s)
            for k in range(4 if n - i >= 4 else n - i):
                out[i + k] = <pixel_t>(low + ((h >> (8 * k)) & 255))
            i += 4
    elif span == 65536:
        while i < n:
            h = next32(s)
            out[i] = <pixel_t>(low + (h & 65535))
            if i + 1 < n:
                out[i + 1] = <pixel_t>(low + (h >> 16))
            i += 2
    else:
        for i in range(n):
            out[i] = <pixel_t>(low + below32(s, span))


cdef void fill_uniform_float(float* out, Py_ssize_t n, double low, double span,
                             Stream* s) noexcept nogil:
    cdef double u[CHUNK]
    cdef Py_ssize_t i = 0, t, m
    while i < n:
        m = CHUNK if n - i > CHUNK else n - i
        gen_uniforms(s, u, m)
        for t in range(m):
            out[i + t] = <float>(low + span * u[t])
        i += m


cdef int k_noise_uniform_image(Frame* f, const Instr* ins) noexcept nogil:
    """Uniform noise.  args: height, width, low, high; iparams: dtype, ndim,
    channels.  float32: low + (high - low) * u; integer types: integers in
    [low, high)."""
    cdef Stream s
    cdef int dtype, ndim
    cdef Py_ssize_t h, w, c, i
    cdef double low, high, span, lo_t, hi_t
    cdef float* out
    cdef Value* v
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 4, 3) != 0 or get_layout(f, ins, False, &dtype, &ndim, &c) != 0:
        return -1
    if get_size(f, ins, c, &h, &w) != 0:
        return -1
    if get_number(f, ins, 2, "low", &low) != 0 or get_number(f, ins, 3, "high", &high) != 0:
        return -1
    if dtype == DT_FLOAT32:
        if low > high:
            snprintf(f.error, ERROR_SIZE, "low (%g) must not exceed high (%g)", low, high)
            return -1
    else:
        lo_t = -32768.0 if dtype == DT_INT16 else 0.0
        hi_t = type_max(dtype) + 1.0
        if low != rint(low) or high != rint(high):
            snprintf(f.error, ERROR_SIZE,
                     "low and high must be integers for an integer image, got %g and %g",
                     low, high)
            return -1
        if not (lo_t <= low < high <= hi_t):
            snprintf(f.error, ERROR_SIZE,
                     "need %g <= low < high <= %g for this element type, got %g and %g",
                     lo_t, hi_t, low, high)
            return -1
    v = new_image(f, ins, dtype, h, w, c, ndim)
    if v == NULL:
        return -1
    if dtype == DT_FLOAT32:
        fill_uniform_float(<float*>v.data, v.length, low, high - low, &s)
    elif dtype == DT_UINT8:
        fill_uniform_int(<uint8_t*>v.data, v.length, <int64_t>low, <uint32_t>(high - low), &s)
    elif dtype == DT_UINT16:
        fill_uniform_int(<uint16_t*>v.data, v.length, <int64_t>low, <uint32_t>(high - low), &s)
    else:
        fill_uniform_int(<int16_t*>v.data, v.length, <int64_t>low, <uint32_t>(high - low), &s)
    return 0


cdef void fill_binary(pixel_t* out, Py_ssize_t n, uint64_t t, double on,
                      Stream* s) noexcept nogil:
    cdef pixel_t hi
    cdef uint8_t d[CHUNK]
    cdef Py_ssize_t i = 0, k, m
    put(&hi, on)
    while i < n:
        m = CHUNK if n - i > CHUNK else n - i
        gen_decisions(s, d, m, t, t)
        for k in range(m):
            out[i + k] = hi if d[k] == 0 else 0
        i += m


cdef int k_noise_binary_image(Frame* f, const Instr* ins) noexcept nogil:
    """``on`` with probability p, else 0.  args: height, width, p; iparams:
    dtype, ndim, channels; fparams: on."""
    cdef Stream s
    cdef int dtype, ndim
    cdef Py_ssize_t h, w, c
    cdef double p
    cdef uint64_t t
    cdef Value* v
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 3, 3) != 0 or ins.n_fparams != 1 \
            or get_layout(f, ins, True, &dtype, &ndim, &c) != 0:
        return fail(f, MALFORMED)
    if get_size(f, ins, c, &h, &w) != 0 or get_probability(f, ins, 2, "p", &p) != 0:
        return -1
    v = new_image(f, ins, dtype, h, w, c, ndim)
    if v == NULL:
        return -1
    t = threshold(p)
    if dtype == DT_UINT8 or dtype == DT_BOOL:
        fill_binary(<uint8_t*>v.data, v.length, t, fparam(f, ins, 0), &s)
    elif dtype == DT_UINT16:
        fill_binary(<uint16_t*>v.data, v.length, t, fparam(f, ins, 0), &s)
    elif dtype == DT_INT16:
        fill_binary(<int16_t*>v.data, v.length, t, fparam(f, ins, 0), &s)
    else:
        fill_binary(<float*>v.data, v.length, t, fparam(f, ins, 0), &s)
    return 0


# ---------------------------------------------------------------- noise on images

cdef void add_noise(const pixel_t* src, pixel_t* dst, Py_ssize_t pixels, Py_ssize_t channels,
                    bint per_channel, bint gaussian, double a, double b,
                    Stream* s) noexcept nogil:
    """dst = src + noise, noise = a + b * N(0, 1) (gaussian) or a + b * u;
    one draw per element, or per pixel when not ``per_channel``."""
    cdef double z[CHUNK]
    cdef Py_ssize_t i = 0, t, k, m, n = pixels * channels
    cdef Py_ssize_t step = 1 if (per_channel or channels == 1) else channels
    cdef Py_ssize_t draws = n // step
    # Sources are at most 65535 in size and deviates about 10: put_int is safe.
    cdef bint small = fabs(a) + 16.0 * fabs(b) < INT_SAFE
    if b == 0.0:
        for i in range(n):
            put(&dst[i], <double>src[i] + a)
        return
    while i < draws:
        m = CHUNK if draws - i > CHUNK else draws - i
        if gaussian:
            gen_normals(s, z, m)
        else:
            gen_uniforms(s, z, m)
        for t in range(m):
            z[t] = a + b * z[t]
        if step == 1:
            if pixel_t is float:
                for t in range(m):
                    dst[i + t] = <float>(<double>src[i + t] + z[t])
            elif small:
                for t in range(m):
                    put_int(&dst[i + t], <double>src[i + t] + z[t])
            else:
                for t in range(m):
                    put_sat(&dst[i + t], <double>src[i + t] + z[t])
        else:
            for t in range(m):
                for k in range(channels):
                    if pixel_t is float:
                        dst[(i + t) * channels + k] = <float>(
                            <double>src[(i + t) * channels + k] + z[t])
                    elif small:
                        put_int(&dst[(i + t) * channels + k],
                                <double>src[(i + t) * channels + k] + z[t])
                    else:
                        put_sat(&dst[(i + t) * channels + k],
                                <double>src[(i + t) * channels + k] + z[t])
        i += m


cdef int add_noise_kernel(Frame* f, const Instr* ins, bint gaussian) noexcept nogil:
    cdef Stream s
    cdef ImageView img
    cdef double p1, p2, a, b
    cdef bint per_channel
    cdef Value* v
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 3, 1) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    per_channel = iparam(f, ins, 0) != 0
    if gaussian:
        if get_number(f, ins, 1, "mean", &p1) != 0 or get_number(f, ins, 2, "std", &p2) != 0:
            return -1
        if p2 < 0:
            snprintf(f.error, ERROR_SIZE, "std must be >= 0, got %g", p2)
            return -1
        a = p1
        b = p2
    else:
        if get_number(f, ins, 1, "low", &p1) != 0 or get_number(f, ins, 2, "high", &p2) != 0:
            return -1
        if p1 > p2:
            snprintf(f.error, ERROR_SIZE, "low (%g) must not exceed high (%g)", p1, p2)
            return -1
        a = p1
        b = p2 - p1
    v = copy_layout(f, ins, &img)
    if v == NULL:
        return -1
    if a == 0.0 and b == 0.0:
        memcpy(v.data, img.data, v.length * itemsize(img.dtype))
        return 0
    if img.dtype == DT_UINT8:
        add_noise(<uint8_t*>img.data, <uint8_t*>v.data, img.height * img.width, img.channels,
                  per_channel, gaussian, a, b, &s)
    elif img.dtype == DT_UINT16:
        add_noise(<uint16_t*>img.data, <uint16_t*>v.data, img.height * img.width,
                  img.channels, per_channel, gaussian, a, b, &s)
    elif img.dtype == DT_INT16:
        add_noise(<int16_t*>img.data, <int16_t*>v.data, img.height * img.width, img.channels,
                  per_channel, gaussian, a, b, &s)
    else:
        add_noise(<float*>img.data, <float*>v.data, img.height * img.width, img.channels,
                  per_channel, gaussian, a, b, &s)
    return 0


cdef int k_noise_add_gaussian(Frame* f, const Instr* ins) noexcept nogil:
    """image + mean + std * N(0, 1), saturated.  args: image, mean, std;
    iparams: per_channel."""
    return add_noise_kernel(f, ins, True)


cdef int k_noise_add_uniform(Frame* f, const Instr* ins) noexcept nogil:
    """image + low + (high - low) * u, saturated.  args: image, low, high;
    iparams: per_channel."""
    return add_noise_kernel(f, ins, False)


cdef void replace_random(const pixel_t* src, pixel_t* dst, Py_ssize_t pixels,
                         Py_ssize_t channels, bint per_channel, uint64_t t1, uint64_t t2,
                         const double* v1, const double* v2, Stream* s) noexcept nogil:
    """One decision (``gen_decisions``) per element, or per pixel when not
    ``per_channel``: 0 -> v1, 1 -> v2, 2 -> the source value."""
    cdef pixel_t a[4]
    cdef pixel_t b[4]
    cdef uint8_t d[CHUNK]
    cdef Py_ssize_t i = 0, k, m, c, e, n
    for k in range(channels):
        put(&a[k], v1[k])
        put(&b[k], v2[k])
    if channels == 1 or per_channel:
        n = pixels * channels
        c = 0
        while i < n:
            m = CHUNK if n - i > CHUNK else n - i
            gen_decisions(s, d, m, t1, t2)
            if channels == 1:
                for k in range(m):
                    dst[i + k] = a[0] if d[k] == 0 else (b[0] if d[k] == 1 else src[i + k])
            else:
                for k in range(m):
                    dst[i + k] = a[c] if d[k] == 0 else (b[c] if d[k] == 1 else src[i + k])
                    c += 1
                    if c == channels:
                        c = 0
            i += m
        return
    memcpy(dst, src, pixels * channels * sizeof(pixel_t))
    while i < pixels:
        m = CHUNK if pixels - i > CHUNK else pixels - i
        gen_decisions(s, d, m, t1, t2)
        for k in range(m):
            if d[k] != 2:
                e = (i + k) * channels
                for c in range(channels):
                    dst[e + c] = a[c] if d[k] == 0 else b[c]
        i += m


cdef int replace_kernel(Frame* f, const Instr* ins, ImageView* img, uint64_t t1, uint64_t t2,
                        const double* v1, const double* v2, Stream* s) noexcept nogil:
    cdef Value* v = copy_layout(f, ins, img)
    cdef bint per_channel = iparam(f, ins, 0) != 0
    cdef Py_ssize_t pixels = img.height * img.width
    if v == NULL:
        return -1
    if t2 == 0:
        memcpy(v.data, img.data, v.length * itemsize(img.dtype))
    elif img.dtype == DT_UINT8:
        replace_random(<uint8_t*>img.data, <uint8_t*>v.data, pixels, img.channels, per_channel,
                       t1, t2, v1, v2, s)
    elif img.dtype == DT_UINT16:
        replace_random(<uint16_t*>img.data, <uint16_t*>v.data, pixels, img.channels,
                       per_channel, t1, t2, v1, v2, s)
    elif img.dtype == DT_INT16:
        replace_random(<int16_t*>img.data, <int16_t*>v.data, pixels, img.channels, per_channel,
                       t1, t2, v1, v2, s)
    else:
        replace_random(<float*>img.data, <float*>v.data, pixels, img.channels, per_channel,
                       t1, t2, v1, v2, s)
    return 0


cdef int k_noise_salt_pepper(Frame* f, const Instr* ins) noexcept nogil:
    """Salt (type max) with probability amount * svp, pepper (0) with
    amount * (1 - svp), one half per element: h < floor(amount * svp * 2**32)
    is salt, else h < floor(amount * 2**32) pepper.  args: image, amount,
    salt_vs_pepper; iparams: per_channel."""
    cdef Stream s
    cdef ImageView img
    cdef double amount, svp
    cdef double salt[4]
    cdef double pepper[4]
    cdef int k
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 3, 1) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    if get_probability(f, ins, 1, "amount", &amount) != 0 \
            or get_probability(f, ins, 2, "salt_vs_pepper", &svp) != 0:
        return -1
    for k in range(4):
        salt[k] = type_max(img.dtype)
        pepper[k] = 0.0
    return replace_kernel(f, ins, &img, threshold(amount * svp), threshold(amount),
                          salt, pepper, &s)


cdef int k_noise_pixel_dropout(Frame* f, const Instr* ins) noexcept nogil:
    """Each element (or pixel) becomes ``value`` with probability p.
    args: image, p, value; iparams: per_channel."""
    cdef Stream s
    cdef ImageView img
    cdef double p
    cdef double value[4]
    cdef uint64_t t
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 3, 1) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    if get_probability(f, ins, 1, "p", &p) != 0 \
            or get_channel_values(f, ins, 2, img.channels, "value", value) != 0:
        return -1
    t = threshold(p)
    return replace_kernel(f, ins, &img, t, t, value, value, &s)


# ---------------------------------------------------------------- rectangles

cdef int64_t hole_size(Rng* r, int64_t extent, bint fraction, double lo, double hi) noexcept nogil:
    """One hole side: an integer in [lo, hi] (pixels) or floor(extent * U(lo, hi))
    (fractions), at most ``extent``."""
    cdef int64_t a, b, size
    if fraction:
        size = <int64_t>(extent * (lo + (hi - lo) * rng_uniform(r)))
    else:
        a = <int64_t>lo if <int64_t>lo < extent else extent
        b = <int64_t>hi if <int64_t>hi < extent else extent
        size = a + <int64_t>rng_below(r, <uint64_t>(b - a + 1))
    return size if size < extent else extent


cdef int get_range(Frame* f, const Instr* ins, int k, bint fraction, const char* what,
                   double* lo, double* hi) noexcept nogil:
    """Inputs k, k+1: a size range, pixels (integers, 0 <= lo <= hi) or
    fractions (0 <= lo <= hi <= 1)."""
    cdef int64_t a, b
    if fraction:
        if get_number(f, ins, k, what, lo) != 0 or get_number(f, ins, k + 1, what, hi) != 0:
            return -1
        if not (0.0 <= lo[0] <= hi[0] <= 1.0):
            snprintf(f.error, ERROR_SIZE,
                     "%s fractions must satisfy 0 <= min <= max <= 1, got (%g, %g)",
                     what, lo[0], hi[0])
            return -1
        return 0
    if get_integer(f, ins, k, what, &a) != 0 or get_integer(f, ins, k + 1, what, &b) != 0:
        return -1
    if not (0 <= a <= b) or b > MAX_ELEMENTS:
        snprintf(f.error, ERROR_SIZE, "%s must satisfy 0 <= min <= max, got (%lld, %lld)",
                 what, <long long>a, <long long>b)
        return -1
    lo[0] = <double>a
    hi[0] = <double>b
    return 0


cdef int k_noise_dropout_holes(Frame* f, const Instr* ins) noexcept nogil:
    """Rectangles [x0, y0, x1, y1] of a coarse dropout (mode 0, inside the
    image) or cutout (mode 1, centred anywhere, clipped).  args: image,
    min/max holes, min/max height, min/max width; iparams: mode, height is a
    fraction, width is a fraction."""
    cdef Rng r
    cdef ImageView img
    cdef int64_t n_lo, n_hi, n, k, hh, ww, x0, y0, x1, y1, H, W
    cdef double h_lo, h_hi, w_lo, w_hi
    cdef bint centred, hfrac, wfrac
    cdef Py_ssize_t shape[2]
    cdef int64_t* out
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 7, 3) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    centred = iparam(f, ins, 0) != 0
    hfrac = iparam(f, ins, 1) != 0
    wfrac = iparam(f, ins, 2) != 0
    if get_integer(f, ins, 1, "number of holes", &n_lo) != 0 \
            or get_integer(f, ins, 2, "number of holes", &n_hi) != 0:
        return -1
    if not (0 <= n_lo <= n_hi):
        snprintf(f.error, ERROR_SIZE,
                 "number of holes must satisfy 0 <= min <= max, got (%lld, %lld)",
                 <long long>n_lo, <long long>n_hi)
        return -1
    if n_hi > MAX_HOLES:
        snprintf(f.error, ERROR_SIZE, "at most %d holes, got %lld", <int>MAX_HOLES,
                 <long long>n_hi)
        return -1
    if get_range(f, ins, 3, hfrac, "hole height", &h_lo, &h_hi) != 0 \
            or get_range(f, ins, 5, wfrac, "hole width", &w_lo, &w_hi) != 0:
        return -1
    H = img.height
    W = img.width
    n = n_lo + <int64_t>rng_below(&r, <uint64_t>(n_hi - n_lo + 1))
    shape[0] = n
    shape[1] = 4
    v = new_tensor(f, ins, DT_INT64, 2, shape)
    if v == NULL:
        return -1
    out = <int64_t*>v.data
    for k in range(n):
        hh = hole_size(&r, H, hfrac, h_lo, h_hi)
        ww = hole_size(&r, W, wfrac, w_lo, w_hi)
        if centred:
            y0 = <int64_t>rng_below(&r, <uint64_t>H) - hh // 2
            x0 = <int64_t>rng_below(&r, <uint64_t>W) - ww // 2
            y1 = y0 + hh
            x1 = x0 + ww
            y0 = 0 if y0 < 0 else y0
            x0 = 0 if x0 < 0 else x0
            y1 = H if y1 > H else y1
            x1 = W if x1 > W else x1
        else:
            y0 = <int64_t>rng_below(&r, <uint64_t>(H - hh + 1))
            x0 = <int64_t>rng_below(&r, <uint64_t>(W - ww + 1))
            y1 = y0 + hh
            x1 = x0 + ww
        out[4 * k + 0] = x0
        out[4 * k + 1] = y0
        out[4 * k + 2] = x1
        out[4 * k + 3] = y1
    return 0


cdef int k_noise_erasing_box(Frame* f, const Instr* ins) noexcept nogil:
    """torchvision's RandomErasing.get_params: with probability p, up to 10
    attempts at a box of area U(scale) * H * W and aspect exp(U(log ratio)).
    Output: 0 or 1 rectangles [x0, y0, x1, y1].  args: image, p, scale lo/hi,
    ratio lo/hi."""
    cdef Rng r
    cdef ImageView img
    cdef double p, s_lo, s_hi, r_lo, r_hi, area, lr0, lr1, erase, aspect, hd, wd
    cdef int64_t h, w, y, x
    cdef int attempt
    cdef bint found = False
    cdef Py_ssize_t shape[2]
    cdef int64_t* out
    cdef Value* v
    rng_init(&r, f.seed, ins.key, f.sample)
    if expect(f, ins, 6, 0) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    if get_probability(f, ins, 1, "p", &p) != 0:
        return -1
    if get_number(f, ins, 2, "scale", &s_lo) != 0 or get_number(f, ins, 3, "scale", &s_hi) != 0:
        return -1
    if get_number(f, ins, 4, "ratio", &r_lo) != 0 or get_number(f, ins, 5, "ratio", &r_hi) != 0:
        return -1
    if not (0.0 <= s_lo <= s_hi):
        snprintf(f.error, ERROR_SIZE, "scale must satisfy 0 <= min <= max, got (%g, %g)",
                 s_lo, s_hi)
        return -1
    if not (0.0 < r_lo <= r_hi):
        snprintf(f.error, ERROR_SIZE, "ratio must satisfy 0 < min <= max, got (%g, %g)",
                 r_lo, r_hi)
        return -1
    if rng_uniform(&r) < p:
        area = <double>img.height * <double>img.width
        lr0 = det_log(r_lo)
        lr1 = det_log(r_hi)
        for attempt in range(ERASE_ATTEMPTS):
            erase = area * (s_lo + (s_hi - s_lo) * rng_uniform(&r))
            aspect = det_exp(lr0 + (lr1 - lr0) * rng_uniform(&r))
            hd = rint(sqrt(erase * aspect))
            wd = rint(sqrt(erase / aspect))
            if not (hd < img.height and wd < img.width):
                continue
            h = <int64_t>hd
            w = <int64_t>wd
            y = <int64_t>rng_below(&r, <uint64_t>(img.height - h + 1))
            x = <int64_t>rng_below(&r, <uint64_t>(img.width - w + 1))
            found = True
            break
    shape[0] = 1 if found else 0
    shape[1] = 4
    v = new_tensor(f, ins, DT_INT64, 2, shape)
    if v == NULL:
        return -1
    if found:
        out = <int64_t*>v.data
        out[0] = x
        out[1] = y
        out[2] = x + w
        out[3] = y + h
    return 0


cdef int get_rects(Frame* f, const Instr* ins, int k, Value** rects) noexcept nogil:
    cdef Value* v = arg(f, ins, k)
    if v.kind != KIND_TENSOR or not (
            (v.ndim == 2 and v.shape[1] == 4) or (v.ndim == 1 and v.shape[0] == 4)):
        return fail(f, "rectangles must be an n x 4 tensor of [x0, y0, x1, y1] rows")
    if v.dtype == DT_FLOAT32 or v.dtype == DT_FLOAT64:
        return fail(f, "rectangles must be integers")
    rects[0] = v
    return 0


cdef bint clip_rect(const Value* rects, Py_ssize_t k, Py_ssize_t H, Py_ssize_t W,
                    Py_ssize_t* x0, Py_ssize_t* y0, Py_ssize_t* x1,
                    Py_ssize_t* y1) noexcept nogil:
    """Rectangle ``k`` clipped to the image; False if nothing is left."""
    cdef Py_ssize_t step = itemsize(rects.dtype)
    cdef int64_t a = load_int(rects.data + (4 * k + 0) * step, rects.dtype)
    cdef int64_t b = load_int(rects.data + (4 * k + 1) * step, rects.dtype)
    cdef int64_t c = load_int(rects.data + (4 * k + 2) * step, rects.dtype)
    cdef int64_t d = load_int(rects.data + (4 * k + 3) * step, rects.dtype)
    x0[0] = <Py_ssize_t>(0 if a < 0 else (W if a > W else a))
    y0[0] = <Py_ssize_t>(0 if b < 0 else (H if b > H else b))
    x1[0] = <Py_ssize_t>(0 if c < 0 else (W if c > W else c))
    y1[0] = <Py_ssize_t>(0 if d < 0 else (H if d > H else d))
    return x1[0] > x0[0] and y1[0] > y0[0]


cdef void fill_rects(pixel_t* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C,
                     const Value* rects, const double* value) noexcept nogil:
    cdef pixel_t px[4]
    cdef Py_ssize_t k, y, x, c, x0, y0, x1, y1
    cdef pixel_t* first
    for c in range(C):
        put(&px[c], value[c])
    for k in range(rects.length // 4):
        if not clip_rect(rects, k, H, W, &x0, &y0, &x1, &y1):
            continue
        # The first row pixel by pixel, the others as copies of it.
        first = dst + (y0 * W + x0) * C
        if C == 1:
            for x in range(x1 - x0):
                first[x] = px[0]
        else:
            for x in range(x1 - x0):
                for c in range(C):
                    first[x * C + c] = px[c]
        for y in range(y0 + 1, y1):
            memcpy(dst + (y * W + x0) * C, first, (x1 - x0) * C * sizeof(pixel_t))


cdef int k_noise_erase_rectangles(Frame* f, const Instr* ins) noexcept nogil:
    """The image with rectangles (clipped) set to a value.  args: image,
    rectangles (n x 4: x0, y0, x1, y1), value (number or one per channel)."""
    cdef ImageView img
    cdef Value* rects
    cdef double value[4]
    cdef Value* v
    if expect(f, ins, 3, 0) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    if get_rects(f, ins, 1, &rects) != 0 \
            or get_channel_values(f, ins, 2, img.channels, "value", value) != 0:
        return -1
    v = copy_layout(f, ins, &img)
    if v == NULL:
        return -1
    memcpy(v.data, img.data, v.length * itemsize(img.dtype))
    if img.dtype == DT_UINT8:
        fill_rects(<uint8_t*>v.data, img.height, img.width, img.channels, rects, value)
    elif img.dtype == DT_UINT16:
        fill_rects(<uint16_t*>v.data, img.height, img.width, img.channels, rects, value)
    elif img.dtype == DT_INT16:
        fill_rects(<int16_t*>v.data, img.height, img.width, img.channels, rects, value)
    else:
        fill_rects(<float*>v.data, img.height, img.width, img.channels, rects, value)
    return 0


cdef void fill_rects_random(pixel_t* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C,
                            const Value* rects, Stream* s) noexcept nogil:
    """float32: N(0, 1) per element; integers: uniform in [0, type max]."""
    cdef Py_ssize_t k, y, i, x0, y0, x1, y1
    cdef pixel_t* row
    cdef uint32_t span
    if pixel_t is uint8_t:
        span = 256
    elif pixel_t is uint16_t:
        span = 65536
    elif pixel_t is int16_t:
        span = 32768
    else:
        span = 0
    for k in range(rects.length // 4):
        if not clip_rect(rects, k, H, W, &x0, &y0, &x1, &y1):
            continue
        for y in range(y0, y1):
            row = dst + (y * W + x0) * C
            for i in range((x1 - x0) * C):
                if pixel_t is float:
                    row[i] = <float>normal(s)
                else:
                    row[i] = <pixel_t>below32(s, span)


cdef int k_noise_erase_rectangles_random(Frame* f, const Instr* ins) noexcept nogil:
    """The image with rectangles (clipped) filled with noise.  args: image,
    rectangles."""
    cdef Stream s
    cdef ImageView img
    cdef Value* rects
    cdef Value* v
    stream_init(&s, f.seed, ins.key, f.sample)
    if expect(f, ins, 2, 0) != 0 or get_image(f, ins, 0, &img) != 0:
        return -1
    if get_rects(f, ins, 1, &rects) != 0:
        return -1
    v = copy_layout(f, ins, &img)
    if v == NULL:
        return -1
    memcpy(v.data, img.data, v.length * itemsize(img.dtype))
    if img.dtype == DT_UINT8:
        fill_rects_random(<uint8_t*>v.data, img.height, img.width, img.channels, rects, &s)
    elif img.dtype == DT_UINT16:
        fill_rects_random(<uint16_t*>v.data, img.height, img.width, img.channels, rects, &s)
    elif img.dtype == DT_INT16:
        fill_rects_random(<int16_t*>v.data, img.height, img.width, img.channels, rects, &s)
    else:
        fill_rects_random(<float*>v.data, img.height, img.width, img.channels, rects, &s)
    return 0


# ---------------------------------------------------------------- synthetic images

cdef void fill_constant(pixel_t* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C,
                        const double* value) noexcept nogil:
    """The first row pixel by pixel, the others as copies of it."""
    cdef pixel_t px[4]
    cdef Py_ssize_t x, y, c
    for c in range(C):
        put(&px[c], value[c])
    if C == 1:
        for x in range(W):
            dst[x] = px[0]
    else:
        for x in range(W):
            for c in range(C):
                dst[x * C + c] = px[c]
    for y in range(1, H):
        memcpy(dst + y * W * C, dst, W * C * sizeof(pixel_t))


cdef int k_noise_constant_image(Frame* f, const Instr* ins) noexcept nogil:
    """An image of one value (per channel).  args: height, width, value;
    iparams: dtype, ndim, channels."""
    cdef int dtype, ndim
    cdef Py_ssize_t h, w, c
    cdef double value[4]
    cdef Value* v
    if expect(f, ins, 3, 3) != 0 or get_layout(f, ins, False, &dtype, &ndim, &c) != 0:
        return -1
    if get_size(f, ins, c, &h, &w) != 0 \
            or get_channel_values(f, ins, 2, c, "value", value) != 0:
        return -1
    v = new_image(f, ins, dtype, h, w, c, ndim)
    if v == NULL:
        return -1
    if dtype == DT_UINT8:
        fill_constant(<uint8_t*>v.data, h, w, c, value)
    elif dtype == DT_UINT16:
        fill_constant(<uint16_t*>v.data, h, w, c, value)
    elif dtype == DT_INT16:
        fill_constant(<int16_t*>v.data, h, w, c, value)
    else:
        fill_constant(<float*>v.data, h, w, c, value)
    return 0


cdef void fill_gradient(pixel_t* dst, Py_ssize_t H, Py_ssize_t W, Py_ssize_t C,
                        const double* col_t, const double* row_t, bint rows_equal,
                        const double* start, const double* end) noexcept nogil:
    cdef Py_ssize_t y, x, c
    cdef double t, ty
    cdef pixel_t* row
    cdef bint small = True
    for c in range(C):
        small = small and fabs(start[c]) < INT_SAFE and fabs(end[c]) < INT_SAFE
    for y in range(H):
        row = dst + y * W * C
        if rows_equal and y > 0:
            memcpy(row, dst, W * C * sizeof(pixel_t))
            continue
        ty = row_t[y]
        for x in range(W):
            t = col_t[x] + ty
            t = t if t < 1.0 else 1.0
            for c in range(C):
                if pixel_t is float or not small:
                    put_sat(&row[x * C + c], (1.0 - t) * start[c] + t * end[c])
                else:
                    put_int(&row[x * C + c], (1.0 - t) * start[c] + t * end[c])


cdef int k_noise_linear_gradient_image(Frame* f, const Instr* ins) noexcept nogil:
    """(1 - t) * start + t * end with t the position along direction
    ``angle`` (degrees), 0 at the first corner, 1 at the last.  args: height,
    width, start, end, angle; iparams: dtype, ndim, channels."""
    cdef int dtype, ndim
    cdef Py_ssize_t h, w, c, i
    cdef double start[4]
    cdef double end[4]
    cdef double angle, a, cs, sn, span, x_off, y_off
    cdef double* col_t
    cdef double* row_t
    cdef Value* v
    if expect(f, ins, 5, 3) != 0 or get_layout(f, ins, False, &dtype, &ndim, &c) != 0:
        return -1
    if get_size(f, ins, c, &h, &w) != 0 \
            or get_channel_values(f, ins, 2, c, "start", start) != 0 \
            or get_channel_values(f, ins, 3, c, "end", end) != 0 \
            or get_number(f, ins, 4, "angle", &angle) != 0:
        return -1
    # Exact directions for multiples of 90 degrees; libm elsewhere (no random
    # decision depends on it).
    a = fmod(angle, 360.0)
    if a < 0:
        a += 360.0
    if a == 0.0:
        cs, sn = 1.0, 0.0
    elif a == 90.0:
        cs, sn = 0.0, 1.0
    elif a == 180.0:
        cs, sn = -1.0, 0.0
    elif a == 270.0:
        cs, sn = 0.0, -1.0
    else:
        cs = cos(a * (3.14159265358979323846 / 180.0))
        sn = sin(a * (3.14159265358979323846 / 180.0))
    x_off = cs * (w - 1) if cs < 0 else 0.0
    y_off = sn * (h - 1) if sn < 0 else 0.0
    span = (cs if cs > 0 else -cs) * (w - 1) + (sn if sn > 0 else -sn) * (h - 1)
    col_t = <double*>scratch(f, 0, w * sizeof(double))
    row_t = <double*>scratch(f, 1, h * sizeof(double))
    if col_t == NULL or row_t == NULL:
        return -1
    for i in range(w):
        col_t[i] = (cs * i - x_off) / span if span > 0 else 0.0
    for i in range(h):
        row_t[i] = (sn * i - y_off) / span if span > 0 else 0.0
    v = new_image(f, ins, dtype, h, w, c, ndim)
    if v == NULL:
        return -1
    if dtype == DT_UINT8:
        fill_gradient(<uint8_t*>v.data, h, w, c, col_t, row_t, sn == 0.0, start, end)
    elif dtype == DT_UINT16:
        fill_gradient(<uint16_t*>v.data, h, w, c, col_t, row_t, sn == 0.0, start, end)
    elif dtype == DT_INT16:
        fill_gradient(<int16_t*>v.data, h, w, c, col_t, row_t, sn == 0.0, start, end)
    else:
        fill_gradient(<float*>v.data, h, w, c, col_t, row_t, sn == 0.0, start, end)
    return 0


# ---------------------------------------------------------------- testing hooks

def _stream_halves(uint64_t seed, uint64_t key, int64_t sample, Py_ssize_t n):
    """The first ``n`` halves of a stream, as the pixel kernels read them."""
    cdef Stream s
    cdef Py_ssize_t i
    stream_init(&s, seed, key, sample)
    out = []
    for i in range(n):
        out.append(next32(&s))
    return out


def _normals(uint64_t seed, uint64_t key, int64_t sample, Py_ssize_t n):
    """The first ``n`` ziggurat deviates of a stream, and the halves used."""
    cdef Stream s
    cdef Py_ssize_t i
    stream_init(&s, seed, key, sample)
    values = []
    for i in range(n):
        values.append(normal(&s))
    return values, <int64_t>(s.ctr[0] * 8) - (HALVES - s.pos)


def _det_exp(double x):
    return det_exp(x)


KERNELS = {
    "noise_gaussian_image": <uintptr_t>k_noise_gaussian_image,
    "noise_uniform_image": <uintptr_t>k_noise_uniform_image,
    "noise_binary_image": <uintptr_t>k_noise_binary_image,
    "noise_add_gaussian": <uintptr_t>k_noise_add_gaussian,
    "noise_add_uniform": <uintptr_t>k_noise_add_uniform,
    "noise_salt_pepper": <uintptr_t>k_noise_salt_pepper,
    "noise_pixel_dropout": <uintptr_t>k_noise_pixel_dropout,
    "noise_dropout_holes": <uintptr_t>k_noise_dropout_holes,
    "noise_erasing_box": <uintptr_t>k_noise_erasing_box,
    "noise_erase_rectangles": <uintptr_t>k_noise_erase_rectangles,
    "noise_erase_rectangles_random": <uintptr_t>k_noise_erase_rectangles_random,
    "noise_constant_image": <uintptr_t>k_noise_constant_image,
    "noise_linear_gradient_image": <uintptr_t>k_noise_linear_gradient_image,
}
