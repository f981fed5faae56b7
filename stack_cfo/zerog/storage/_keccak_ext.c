/*
 * Keccak-256 (Ethereum's keccak: padding 0x01 ... 0x80, rate 136 bytes, 32-byte digest) in bulk,
 * for the 0G Storage Merkle tree.
 *
 * The tree over a 16 MiB file is 131,071 hashes of 256 or 64 bytes; calling a hash object per
 * hash from Python costs about as much as the hashing itself. These functions hash many equal
 * pieces of one buffer per call, with the GIL released:
 *
 *   leaf_digests(data, chunk=256) -> bytes   keccak256 of each chunk (the last one zero-filled)
 *   pair_digests(data) -> bytes              keccak256 of each consecutive 64-byte pair
 *   keccak256(data) -> bytes                 one digest
 *
 * Keccak-f[1600] is a plain 64-bit implementation: the 25 lanes live in local variables and
 * every round is written out (two rounds per loop turn, ping-ponging between two sets of lanes).
 * Lane a<x><y> is state word x + 5*y; the round macros below were generated from the
 * specification's rho offsets and pi permutation (B[y][2x+3y] = ROL(A[x][y] ^ D[x], r[x][y])).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#define KECCAK_RATE 136
#define KECCAK_RATE_LANES (KECCAK_RATE / 8)
#define DIGEST_SIZE 32
#define PAIR_SIZE 64

/* Above this many bytes a call releases the GIL (below it the release costs more than it frees). */
#define GIL_RELEASE_BYTES 2048

#define ROL64(v, n) (((v) << (n)) | ((v) >> (64 - (n))))

static const uint64_t ROUND_CONSTANTS[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t
load64_le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void
store64_le(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* One round: theta (C, D), then rho+pi into B one output plane at a time, chi, iota. */
#define ROUND_A_TO_E(rc) \
    do { \
        C0 = a00 ^ a01 ^ a02 ^ a03 ^ a04; \
        C1 = a10 ^ a11 ^ a12 ^ a13 ^ a14; \
        C2 = a20 ^ a21 ^ a22 ^ a23 ^ a24; \
        C3 = a30 ^ a31 ^ a32 ^ a33 ^ a34; \
        C4 = a40 ^ a41 ^ a42 ^ a43 ^ a44; \
        D0 = C4 ^ ROL64(C1, 1); \
        D1 = C0 ^ ROL64(C2, 1); \
        D2 = C1 ^ ROL64(C3, 1); \
        D3 = C2 ^ ROL64(C4, 1); \
        D4 = C3 ^ ROL64(C0, 1); \
        B0 = a00 ^ D0; \
        B1 = ROL64(a11 ^ D1, 44); \
        B2 = ROL64(a22 ^ D2, 43); \
        B3 = ROL64(a33 ^ D3, 21); \
        B4 = ROL64(a44 ^ D4, 14); \
        e00 = B0 ^ (~B1 & B2) ^ (rc); \
        e10 = B1 ^ (~B2 & B3); \
        e20 = B2 ^ (~B3 & B4); \
        e30 = B3 ^ (~B4 & B0); \
        e40 = B4 ^ (~B0 & B1); \
        B0 = ROL64(a30 ^ D3, 28); \
        B1 = ROL64(a41 ^ D4, 20); \
        B2 = ROL64(a02 ^ D0, 3); \
        B3 = ROL64(a13 ^ D1, 45); \
        B4 = ROL64(a24 ^ D2, 61); \
        e01 = B0 ^ (~B1 & B2); \
        e11 = B1 ^ (~B2 & B3); \
        e21 = B2 ^ (~B3 & B4); \
        e31 = B3 ^ (~B4 & B0); \
        e41 = B4 ^ (~B0 & B1); \
        B0 = ROL64(a10 ^ D1, 1); \
        B1 = ROL64(a21 ^ D2, 6); \
        B2 = ROL64(a32 ^ D3, 25); \
        B3 = ROL64(a43 ^ D4, 8); \
        B4 = ROL64(a04 ^ D0, 18); \
        e02 = B0 ^ (~B1 & B2); \
        e12 = B1 ^ (~B2 & B3); \
        e22 = B2 ^ (~B3 & B4); \
        e32 = B3 ^ (~B4 & B0); \
        e42 = B4 ^ (~B0 & B1); \
        B0 = ROL64(a40 ^ D4, 27); \
        B1 = ROL64(a01 ^ D0, 36); \
        B2 = ROL64(a12 ^ D1, 10); \
        B3 = ROL64(a23 ^ D2, 15); \
        B4 = ROL64(a34 ^ D3, 56); \
        e03 = B0 ^ (~B1 & B2); \
        e13 = B1 ^ (~B2 & B3); \
        e23 = B2 ^ (~B3 & B4); \
        e33 = B3 ^ (~B4 & B0); \
        e43 = B4 ^ (~B0 & B1); \
        B0 = ROL64(a20 ^ D2, 62); \
        B1 = ROL64(a31 ^ D3, 55); \
        B2 = ROL64(a42 ^ D4, 39); \
        B3 = ROL64(a03 ^ D0, 41); \
        B4 = ROL64(a14 ^ D1, 2); \
        e04 = B0 ^ (~B1 & B2); \
        e14 = B1 ^ (~B2 & B3); \
        e24 = B2 ^ (~B3 & B4); \
        e34 = B3 ^ (~B4 & B0); \
        e44 = B4 ^ (~B0 & B1); \
    } while (0)

#define ROUND_E_TO_A(rc) \
    do { \
        C0 = e00 ^ e01 ^ e02 ^ e03 ^ e04; \
        C1 = e10 ^ e11 ^ e12 ^ e13 ^ e14; \
        C2 = e20 ^ e21 ^ e22 ^ e23 ^ e24; \
        C3 = e30 ^ e31 ^ e32 ^ e33 ^ e34; \
        C4 = e40 ^ e41 ^ e42 ^ e43 ^ e44; \
        D0 = C4 ^ ROL64(C1, 1); \
        D1 = C0 ^ ROL64(C2, 1); \
        D2 = C1 ^ ROL64(C3, 1); \
        D3 = C2 ^ ROL64(C4, 1); \
        D4 = C3 ^ ROL64(C0, 1); \
        B0 = e00 ^ D0; \
        B1 = ROL64(e11 ^ D1, 44); \
        B2 = ROL64(e22 ^ D2, 43); \
        B3 = ROL64(e33 ^ D3, 21); \
        B4 = ROL64(e44 ^ D4, 14); \
        a00 = B0 ^ (~B1 & B2) ^ (rc); \
        a10 = B1 ^ (~B2 & B3); \
        a20 = B2 ^ (~B3 & B4); \
        a30 = B3 ^ (~B4 & B0); \
        a40 = B4 ^ (~B0 & B1); \
        B0 = ROL64(e30 ^ D3, 28); \
        B1 = ROL64(e41 ^ D4, 20); \
        B2 = ROL64(e02 ^ D0, 3); \
        B3 = ROL64(e13 ^ D1, 45); \
        B4 = ROL64(e24 ^ D2, 61); \
        a01 = B0 ^ (~B1 & B2); \
        a11 = B1 ^ (~B2 & B3); \
        a21 = B2 ^ (~B3 & B4); \
        a31 = B3 ^ (~B4 & B0); \
        a41 = B4 ^ (~B0 & B1); \
        B0 = ROL64(e10 ^ D1, 1); \
        B1 = ROL64(e21 ^ D2, 6); \
        B2 = ROL64(e32 ^ D3, 25); \
        B3 = ROL64(e43 ^ D4, 8); \
        B4 = ROL64(e04 ^ D0, 18); \
        a02 = B0 ^ (~B1 & B2); \
        a12 = B1 ^ (~B2 & B3); \
        a22 = B2 ^ (~B3 & B4); \
        a32 = B3 ^ (~B4 & B0); \
        a42 = B4 ^ (~B0 & B1); \
        B0 = ROL64(e40 ^ D4, 27); \
        B1 = ROL64(e01 ^ D0, 36); \
        B2 = ROL64(e12 ^ D1, 10); \
        B3 = ROL64(e23 ^ D2, 15); \
        B4 = ROL64(e34 ^ D3, 56); \
        a03 = B0 ^ (~B1 & B2); \
        a13 = B1 ^ (~B2 & B3); \
        a23 = B2 ^ (~B3 & B4); \
        a33 = B3 ^ (~B4 & B0); \
        a43 = B4 ^ (~B0 & B1); \
        B0 = ROL64(e20 ^ D2, 62); \
        B1 = ROL64(e31 ^ D3, 55); \
        B2 = ROL64(e42 ^ D4, 39); \
        B3 = ROL64(e03 ^ D0, 41); \
        B4 = ROL64(e14 ^ D1, 2); \
        a04 = B0 ^ (~B1 & B2); \
        a14 = B1 ^ (~B2 & B3); \
        a24 = B2 ^ (~B3 & B4); \
        a34 = B3 ^ (~B4 & B0); \
        a44 = B4 ^ (~B0 & B1); \
    } while (0)


static void
keccak_f1600(uint64_t s[25])
{
    uint64_t a00 = s[0], a10 = s[1], a20 = s[2], a30 = s[3], a40 = s[4];
    uint64_t a01 = s[5], a11 = s[6], a21 = s[7], a31 = s[8], a41 = s[9];
    uint64_t a02 = s[10], a12 = s[11], a22 = s[12], a32 = s[13], a42 = s[14];
    uint64_t a03 = s[15], a13 = s[16], a23 = s[17], a33 = s[18], a43 = s[19];
    uint64_t a04 = s[20], a14 = s[21], a24 = s[22], a34 = s[23], a44 = s[24];
    uint64_t e00, e10, e20, e30, e40, e01, e11, e21, e31, e41, e02, e12, e22, e32, e42;
    uint64_t e03, e13, e23, e33, e43, e04, e14, e24, e34, e44;
    uint64_t B0, B1, B2, B3, B4, C0, C1, C2, C3, C4, D0, D1, D2, D3, D4;

    for (int round = 0; round < 24; round += 2) {
        ROUND_A_TO_E(ROUND_CONSTANTS[round]);
        ROUND_E_TO_A(ROUND_CONSTANTS[round + 1]);
    }

    s[0] = a00; s[1] = a10; s[2] = a20; s[3] = a30; s[4] = a40;
    s[5] = a01; s[6] = a11; s[7] = a21; s[8] = a31; s[9] = a41;
    s[10] = a02; s[11] = a12; s[12] = a22; s[13] = a32; s[14] = a42;
    s[15] = a03; s[16] = a13; s[17] = a23; s[18] = a33; s[19] = a43;
    s[20] = a04; s[21] = a14; s[22] = a24; s[23] = a34; s[24] = a44;
}

static inline void
squeeze_digest(const uint64_t s[25], uint8_t *out)
{
    store64_le(out, s[0]);
    store64_le(out + 8, s[1]);
    store64_le(out + 16, s[2]);
    store64_le(out + 24, s[3]);
}

/* keccak256 of len bytes at in. */
static void
keccak256_raw(const uint8_t *in, size_t len, uint8_t *out)
{
    uint64_t s[25] = {0};

    while (len >= KECCAK_RATE) {
        for (int i = 0; i < KECCAK_RATE_LANES; i++) {
            s[i] ^= load64_le(in + 8 * i);
        }
        keccak_f1600(s);
        in += KECCAK_RATE;
        len -= KECCAK_RATE;
    }
    /* Last block (len < 136): whole lanes, then the partial lane with the 0x01 pad byte after it. */
    size_t lanes = len / 8, rest = len % 8;
    for (size_t i = 0; i < lanes; i++) {
        s[i] ^= load64_le(in + 8 * i);
    }
    uint64_t partial = 0;
    for (size_t j = 0; j < rest; j++) {
        partial |= (uint64_t)in[8 * lanes + j] << (8 * j);
    }
    s[lanes] ^= partial | (0x01ULL << (8 * rest));
    s[KECCAK_RATE_LANES - 1] ^= 0x8000000000000000ULL;
    keccak_f1600(s);
    squeeze_digest(s, out);
}

/* keccak256 of exactly 64 bytes: one block, padding at fixed lanes. */
static inline void
keccak256_pair(const uint8_t *in, uint8_t *out)
{
    uint64_t s[25] = {0};
    for (int i = 0; i < PAIR_SIZE / 8; i++) {
        s[i] = load64_le(in + 8 * i);
    }
    s[PAIR_SIZE / 8] = 0x01;
    s[KECCAK_RATE_LANES - 1] = 0x8000000000000000ULL;
    keccak_f1600(s);
    squeeze_digest(s, out);
}

static int
get_buffer(PyObject *obj, Py_buffer *view)
{
    if (PyUnicode_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "expected a bytes-like object, not str");
        return -1;
    }
    return PyObject_GetBuffer(obj, view, PyBUF_SIMPLE);
}

PyDoc_STRVAR(keccak256_doc,
"keccak256(data, /)\n--\n\n"
"Ethereum keccak256 digest (32 bytes) of a bytes-like object.");

static PyObject *
ext_keccak256(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    uint8_t digest[DIGEST_SIZE];

    if (get_buffer(arg, &view) < 0) {
        return NULL;
    }
    if (view.len >= GIL_RELEASE_BYTES) {
        Py_BEGIN_ALLOW_THREADS
        keccak256_raw((const uint8_t *)view.buf, (size_t)view.len, digest);
        Py_END_ALLOW_THREADS
    }
    else {
        keccak256_raw((const uint8_t *)view.buf, (size_t)view.len, digest);
    }
    PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)digest, DIGEST_SIZE);
}

PyDoc_STRVAR(leaf_digests_doc,
"leaf_digests(data, chunk=256)\n--\n\n"
"Concatenated keccak256 digests of each consecutive chunk-byte piece of data.\n"
"A shorter last piece is zero-filled to chunk bytes first (as 0G fills the last chunk).\n"
"Empty data gives b''.");

static PyObject *
ext_leaf_digests(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"data", "chunk", NULL};
    Py_buffer view;
    Py_ssize_t chunk = 256;
    PyObject *result;
    uint8_t *padded = NULL;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "y*|n:leaf_digests", keywords, &view, &chunk)) {
        return NULL;
    }
    if (chunk <= 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "chunk must be positive");
        return NULL;
    }
    Py_ssize_t whole = view.len / chunk;
    Py_ssize_t rest = view.len % chunk;
    Py_ssize_t count = whole + (rest ? 1 : 0);
    if (count > PY_SSIZE_T_MAX / DIGEST_SIZE) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    if (rest) {
        padded = PyMem_Calloc((size_t)chunk, 1);
        if (padded == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
    }
    result = PyBytes_FromStringAndSize(NULL, count * DIGEST_SIZE);
    if (result == NULL) {
        PyMem_Free(padded);
        PyBuffer_Release(&view);
        return NULL;
    }
    {
        const uint8_t *in = (const uint8_t *)view.buf;
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
        int release = view.len >= GIL_RELEASE_BYTES;
        PyThreadState *saved = release ? PyEval_SaveThread() : NULL;
        for (Py_ssize_t i = 0; i < whole; i++) {
            keccak256_raw(in + i * chunk, (size_t)chunk, out + i * DIGEST_SIZE);
        }
        if (rest) {
            memcpy(padded, in + whole * chunk, (size_t)rest);
            keccak256_raw(padded, (size_t)chunk, out + whole * DIGEST_SIZE);
        }
        if (release) {
            PyEval_RestoreThread(saved);
        }
    }
    PyMem_Free(padded);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(pair_digests_doc,
"pair_digests(data, /)\n--\n\n"
"Concatenated keccak256 digests of each consecutive 64-byte piece of data\n"
"(left || right node pairs); len(data) must be a multiple of 64.");

static PyObject *
ext_pair_digests(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    PyObject *result;

    if (get_buffer(arg, &view) < 0) {
        return NULL;
    }
    if (view.len % PAIR_SIZE) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "data must be a multiple of %d bytes, got %zd", PAIR_SIZE, view.len);
        return NULL;
    }
    Py_ssize_t count = view.len / PAIR_SIZE;
    result = PyBytes_FromStringAndSize(NULL, count * DIGEST_SIZE);
    if (result == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    {
        const uint8_t *in = (const uint8_t *)view.buf;
        uint8_t *out = (uint8_t *)PyBytes_AS_STRING(result);
        int release = view.len >= GIL_RELEASE_BYTES;
        PyThreadState *saved = release ? PyEval_SaveThread() : NULL;
        for (Py_ssize_t i = 0; i < count; i++) {
            keccak256_pair(in + i * PAIR_SIZE, out + i * DIGEST_SIZE);
        }
        if (release) {
            PyEval_RestoreThread(saved);
        }
    }
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef ext_methods[] = {
    {"keccak256", (PyCFunction)ext_keccak256, METH_O, keccak256_doc},
    {"leaf_digests", (PyCFunction)(void (*)(void))ext_leaf_digests, METH_VARARGS | METH_KEYWORDS, leaf_digests_doc},
    {"pair_digests", (PyCFunction)ext_pair_digests, METH_O, pair_digests_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot ext_slots[] = {
    {0, NULL},
};

static struct PyModuleDef ext_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stack_cfo.zerog.storage._keccak_ext",
    .m_doc = "Bulk Ethereum keccak256 for the 0G Storage Merkle tree (optional C accelerator).",
    .m_size = 0,
    .m_methods = ext_methods,
    .m_slots = ext_slots,
};

PyMODINIT_FUNC
PyInit__keccak_ext(void)
{
    return PyModuleDef_Init(&ext_module);
}
