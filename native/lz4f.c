/*
 * Optional native LZ4 frame codec for pgbackrest-ts, on the system liblz4 (the library pgBackRest
 * itself uses). src/io/lz4.ts loads it when the build could compile it and falls back to its own
 * frame layer over lz4-napi otherwise.
 *
 * encoderCreate(level) -> handle; encoderUpdate(handle, chunk) -> Buffer; encoderEnd(handle) -> Buffer
 * decoderCreate(skipChecksums) -> handle; decoderUpdate(handle, chunk) -> [Buffer, frameDone]; decoderFree(handle)
 * (skipChecksums: the frames' xxHash checksums are not verified, for a caller that checks the output
 * itself; needs liblz4 1.9.4, older ones verify them anyway)
 * decoderInto(handle, chunk, offset, out, state) -> bytes written to out (see decoderInto below)
 * encoderEnd and decoderFree release the native memory at once (the finalizer only covers handles
 * dropped early, and V8 is told of the scratch buffers' size so it collects such handles soon).
 * Errors are thrown as Error objects with `code` = the LZ4F error name and `errno` = -code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#include <lz4frame.h>
#define ADDON_NAME "lz4f"
#include "addon.h"

typedef struct {
  LZ4F_cctx *cctx;
  LZ4F_preferences_t prefs;
  int started;
  char *out;
  size_t outCap;
} Encoder;

typedef struct {
  LZ4F_dctx *dctx;
  LZ4F_decompressOptions_t opts;
  char *out;
  size_t outCap;
} Decoder;

static napi_value throwLz4(napi_env env, size_t code) {
  napi_value err, msg, name, errnoVal;
  const char *text = LZ4F_getErrorName(code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, err, "code", name);
  napi_create_int32(env, -(int)LZ4F_getErrorCode(code), &errnoVal);
  napi_set_named_property(env, err, "errno", errnoVal);
  napi_throw(env, err);
  return NULL;
}

static void encoderRelease(napi_env env, Encoder *e) {
  if (e->cctx != NULL) LZ4F_freeCompressionContext(e->cctx);
  e->cctx = NULL;
  release(env, &e->out, &e->outCap);
}

static void decoderRelease(napi_env env, Decoder *d) {
  if (d->dctx != NULL) LZ4F_freeDecompressionContext(d->dctx);
  d->dctx = NULL;
  release(env, &d->out, &d->outCap);
}

static void encoderFinalize(napi_env env, void *data, void *hint) {
  (void)hint;
  encoderRelease(env, data);
  free(data);
}

static void decoderFinalize(napi_env env, void *data, void *hint) {
  (void)hint;
  decoderRelease(env, data);
  free(data);
}

static napi_value encoderCreate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], handle;
  int32_t level = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) CHECK(napi_get_value_int32(env, argv[0], &level));
  Encoder *e = calloc(1, sizeof(Encoder));
  if (e == NULL) return throwLz4(env, (size_t)-LZ4F_ERROR_allocation_failed);
  size_t rc = LZ4F_createCompressionContext(&e->cctx, LZ4F_VERSION);
  if (LZ4F_isError(rc)) {
    free(e);
    return throwLz4(env, rc);
  }
  // pgBackRest's frame: 64 KiB linked blocks, content checksum, no content size
  e->prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  e->prefs.frameInfo.blockMode = LZ4F_blockLinked;
  e->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  e->prefs.compressionLevel = level;
  CHECK(napi_create_external(env, e, encoderFinalize, NULL, &handle));
  return handle;
}

static Encoder *encoderArg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Encoder *e = handleArg(env, info, want, argv);
  if (e == NULL || e->cctx == NULL) {
    napi_throw_type_error(env, NULL, "lz4f: bad or ended encoder handle");
    return NULL;
  }
  return e;
}

/*
 * Makes room for `need` output bytes (plus the frame header before the first output) and writes the
 * header if it is not written yet. Returns the header's length (0 once written) or an LZ4F error.
 */
static size_t encoderPrepare(napi_env env, Encoder *e, size_t need) {
  if (!ensure(env, &e->out, &e->outCap, need + (e->started ? 0 : LZ4F_HEADER_SIZE_MAX))) {
    return (size_t)-LZ4F_ERROR_allocation_failed;
  }
  if (e->started) return 0;
  size_t rc = LZ4F_compressBegin(e->cctx, e->out, e->outCap, &e->prefs);
  if (!LZ4F_isError(rc)) e->started = 1;
  return rc;
}

static napi_value encoderUpdate(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  Encoder *e = encoderArg(env, info, 2, argv);
  void *src;
  size_t srcLen;
  if (e == NULL) return NULL;
  CHECK(napi_get_buffer_info(env, argv[1], &src, &srcLen));
  size_t pos = encoderPrepare(env, e, LZ4F_compressBound(srcLen, &e->prefs));
  if (LZ4F_isError(pos)) return throwLz4(env, pos);
  size_t rc = LZ4F_compressUpdate(e->cctx, e->out + pos, e->outCap - pos, src, srcLen, NULL);
  if (LZ4F_isError(rc)) return throwLz4(env, rc);
  pos += rc;
  CHECK(napi_create_buffer_copy(env, pos, e->out, NULL, &result));
  return result;
}

static napi_value encoderEnd(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  Encoder *e = encoderArg(env, info, 1, argv);
  if (e == NULL) return NULL;
  size_t pos = encoderPrepare(env, e, LZ4F_compressBound(0, &e->prefs));
  if (LZ4F_isError(pos)) return throwLz4(env, pos);
  size_t rc = LZ4F_compressEnd(e->cctx, e->out + pos, e->outCap - pos, NULL);
  if (LZ4F_isError(rc)) return throwLz4(env, rc);
  pos += rc;
  CHECK(napi_create_buffer_copy(env, pos, e->out, NULL, &result));
  encoderRelease(env, e);
  return result;
}

static napi_value decoderCreate(napi_env env, napi_callback_info info) {
  napi_value handle, argv[1];
  size_t argc = 1;
  bool skip = false;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1 && napi_get_value_bool(env, argv[0], &skip) != napi_ok) skip = false;
  Decoder *d = calloc(1, sizeof(Decoder));
  if (d == NULL) return throwLz4(env, (size_t)-LZ4F_ERROR_allocation_failed);
#if LZ4_VERSION_NUMBER >= 10904
  d->opts.skipChecksums = skip ? 1 : 0;
#else
  (void)skip;
#endif
  size_t rc = LZ4F_createDecompressionContext(&d->dctx, LZ4F_VERSION);
  if (LZ4F_isError(rc)) {
    free(d);
    return throwLz4(env, rc);
  }
  CHECK(napi_create_external(env, d, decoderFinalize, NULL, &handle));
  return handle;
}

/*
 * One LZ4F_decompress call from src[*srcPos..srcLen) into dst[*outPos..dstCap), moving both
 * positions. Returns 1 when the call consumed or produced anything (*hint then holds LZ4F's answer,
 * 0 when a frame ended), else 0 with *error = 0, or 0 with *error set to the LZ4F error (the
 * context is reset for reuse).
 */
static int decodeStep(Decoder *d, char *dst, size_t dstCap, size_t *outPos, const char *src, size_t srcLen, size_t *srcPos,
                      size_t *hint, size_t *error) {
  size_t dstSize = dstCap - *outPos;
  size_t inSize = srcLen - *srcPos;
  size_t rc = LZ4F_decompress(d->dctx, dst + *outPos, &dstSize, src + *srcPos, &inSize, &d->opts);
  *error = 0;
  if (LZ4F_isError(rc)) {
    LZ4F_resetDecompressionContext(d->dctx);
    *error = rc;
    return 0;
  }
  *srcPos += inSize;
  *outPos += dstSize;
  if (inSize == 0 && dstSize == 0) return 0;
  *hint = rc;
  return 1;
}

/* Decodes all of `chunk`; returns [output, frameDone] where frameDone means the last frame ended exactly at the chunk's end. */
static napi_value decoderUpdate(napi_env env, napi_callback_info info) {
  napi_value argv[2], result, out, done;
  Decoder *d = handleArg(env, info, 2, argv);
  void *src;
  size_t srcLen, srcPos = 0, outPos = 0, hint = 1; /* hint: LZ4F's last answer; 0 = a frame ended */
  if (d == NULL || d->dctx == NULL) {
    napi_throw_type_error(env, NULL, "lz4f: bad or freed decoder handle");
    return NULL;
  }
  CHECK(napi_get_buffer_info(env, argv[1], &src, &srcLen));
  if (!ensure(env, &d->out, &d->outCap, 256 * 1024)) return throwLz4(env, (size_t)-LZ4F_ERROR_allocation_failed);
  // Until a call makes no progress: all input consumed and nothing left buffered in the context
  // (output stays buffered there when the destination filled up).
  for (;;) {
    size_t error;
    if (d->outCap - outPos < 64 * 1024 && !ensure(env, &d->out, &d->outCap, d->outCap * 2)) {
      return throwLz4(env, (size_t)-LZ4F_ERROR_allocation_failed);
    }
    if (decodeStep(d, d->out, d->outCap, &outPos, src, srcLen, &srcPos, &hint, &error)) continue;
    if (error != 0) return throwLz4(env, error);
    break;
  }
  CHECK(napi_create_buffer_copy(env, outPos, d->out, NULL, &out));
  CHECK(napi_get_boolean(env, hint == 0, &done));
  CHECK(napi_create_array_with_length(env, 2, &result));
  CHECK(napi_set_element(env, result, 0, out));
  CHECK(napi_set_element(env, result, 1, done));
  return result;
}

/*
 * Decodes from chunk[offset..] into the caller's `out` until `out` is full or the input is used up
 * and nothing is left buffered in the context. Returns the bytes written; sets state[0] to the input
 * bytes consumed and state[1] to 1 when the last frame ended exactly there. No buffer is allocated:
 * the caller reuses `out` for the next call once it has dealt with these bytes.
 */
static napi_value decoderInto(napi_env env, napi_callback_info info) {
  napi_value argv[5], result;
  Decoder *d = handleArg(env, info, 5, argv);
  IntoArgs a;
  size_t srcPos, outPos = 0, hint = 1;
  if (d == NULL || d->dctx == NULL) {
    napi_throw_type_error(env, NULL, "lz4f: bad or freed decoder handle");
    return NULL;
  }
  if (!intoArgs(env, argv, &a)) return NULL;
  srcPos = a.offset;
  while (outPos < a.dstLen) {
    size_t error;
    if (decodeStep(d, (char *)a.dst, a.dstLen, &outPos, (const char *)a.src, a.srcLen, &srcPos, &hint, &error)) continue;
    if (error != 0) return throwLz4(env, error);
    break;
  }
  a.state[0] = (uint32_t)(srcPos - a.offset);
  a.state[1] = hint == 0 ? 1 : 0;
  CHECK(napi_create_uint32(env, (uint32_t)outPos, &result));
  return result;
}

static napi_value decoderFree(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Decoder *d = handleArg(env, info, 1, argv);
  if (d != NULL) decoderRelease(env, d);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"encoderCreate", NULL, encoderCreate, NULL, NULL, NULL, napi_default, NULL},
    {"encoderUpdate", NULL, encoderUpdate, NULL, NULL, NULL, napi_default, NULL},
    {"encoderEnd", NULL, encoderEnd, NULL, NULL, NULL, napi_default, NULL},
    {"decoderCreate", NULL, decoderCreate, NULL, NULL, NULL, napi_default, NULL},
    {"decoderUpdate", NULL, decoderUpdate, NULL, NULL, NULL, napi_default, NULL},
    {"decoderInto", NULL, decoderInto, NULL, NULL, NULL, napi_default, NULL},
    {"decoderFree", NULL, decoderFree, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
