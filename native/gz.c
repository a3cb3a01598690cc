/*
 * Optional native gzip codec for pgbackrest-ts, on the zlib that Node itself carries (its headers
 * come with Node's, and the symbols resolve against the running node binary, so nothing else is
 * linked). src/io/gz-native.ts loads it when the build could compile it; otherwise gz goes through
 * node:zlib's streams, which run each piece on libuv's pool and cost a round trip per 64 KiB. This
 * runs deflate and inflate in the calling thread instead; intoAsync runs one large inflate step on
 * the pool, for a caller that hashes and writes the previous step's output meanwhile.
 *
 * create() -> handle
 * into(handle, chunk, offset, out, state) -> bytes written to out (see inflaterInto below)
 * intoAsync(handle, chunk, offset, out, state, callback) -> the same on libuv's pool; callback(error, written)
 * free(handle) releases the zlib state at once (the finalizer only covers handles dropped early).
 * deflaterCreate(level) -> handle; deflaterUpdate(handle, chunk) -> Buffer; deflaterEnd(handle) -> Buffer
 * (the output so far; deflaterEnd finishes the member and releases the state). The encoder makes
 * gzip as node:zlib's createGzip and pgBackRest do (windowBits 15+16, memLevel 9, default
 * strategy), byte for byte the same as node:zlib's stream output for the same level.
 * Errors are thrown as Error objects with `errno` = zlib's return code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#define ADDON_NAME "gz"
#include "addon.h"

/* zlib's inflate state and 32 KiB window, for V8's accounting of external memory. */
#define STATE_SIZE (48 * 1024)

typedef struct {
  z_stream strm;
  int live;  /* inflateInit2 succeeded and inflateEnd has not run */
  int ended; /* the last member seen ended (Z_STREAM_END) */
  int busy; /* an intoAsync is running */
  int freeAsked; /* free() came while busy: released when that call completes */
} Inflater;

static void inflaterRelease(napi_env env, Inflater *d) {
  int64_t adjusted;
  if (!d->live) return;
  inflateEnd(&d->strm);
  d->live = 0;
  napi_adjust_external_memory(env, -STATE_SIZE, &adjusted);
}

static void inflaterFinalize(napi_env env, void *data, void *hint) {
  (void)hint;
  inflaterRelease(env, data);
  free(data);
}

static napi_value throwZlib(napi_env env, int code) {
  napi_value err, msg, errnoVal;
  napi_create_string_utf8(env, "gz: inflate failed", NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &err);
  napi_create_int32(env, code, &errnoVal);
  napi_set_named_property(env, err, "errno", errnoVal);
  napi_throw(env, err);
  return NULL;
}

/*
 * The handle of `obj` once its zlib stream was set up with result `rc`: marks it live and tells V8
 * of `stateSize` bytes it holds. On failure `obj` is freed and the error thrown.
 */
static napi_value newHandle(napi_env env, void *obj, int rc, int *live, int64_t stateSize, napi_finalize finalize) {
  napi_value handle;
  int64_t adjusted;
  if (rc != Z_OK) {
    free(obj);
    return throwZlib(env, rc);
  }
  *live = 1;
  napi_adjust_external_memory(env, stateSize, &adjusted);
  CHECK(napi_create_external(env, obj, finalize, NULL, &handle));
  return handle;
}

static napi_value inflaterCreate(napi_env env, napi_callback_info info) {
  (void)info;
  Inflater *d = calloc(1, sizeof(Inflater));
  if (d == NULL) return throwZlib(env, Z_MEM_ERROR);
  // windowBits 15 + 16: gzip only, as pgBackRest decodes (a zlib-wrapped stream is a data error)
  return newHandle(env, d, inflateInit2(&d->strm, 15 + 16), &d->live, STATE_SIZE, inflaterFinalize);
}

/*
 * The inflate loop of `into` and `intoAsync`: inflates `*in` (`*inLeft` bytes) into dst[*outPos..dstLen]
 * until `dst` is full or the input is used up, advancing all three. After a member's end, more input
 * is decoded as the next member, unless it starts with a zero byte: then it is padding, consumed
 * and dropped (node:zlib's rule). Returns Z_OK, or zlib's error code with the state left for the
 * caller to release. Makes no Node-API call, so it may run on libuv's pool.
 */
static int inflateLoop(Inflater *d, const unsigned char **in, size_t *inLeft, unsigned char *dst, size_t dstLen, size_t *outPos) {
  // also with no input left: a call that filled `dst` may have left output pending in zlib
  while (*outPos < dstLen) {
    if (d->ended) {
      if (*inLeft == 0) break;
      if ((*in)[0] == 0) {
        *inLeft = 0; /* zero padding after the last member */
        break;
      }
      inflateReset(&d->strm);
      d->ended = 0;
    }
    d->strm.next_in = (Bytef *)*in;
    d->strm.avail_in = (uInt)*inLeft;
    d->strm.next_out = dst + *outPos;
    d->strm.avail_out = (uInt)(dstLen - *outPos);
    int rc = inflate(&d->strm, Z_NO_FLUSH);
    size_t used = *inLeft - d->strm.avail_in;
    size_t made = (dstLen - *outPos) - d->strm.avail_out;
    *in += used;
    *inLeft -= used;
    *outPos += made;
    if (rc == Z_STREAM_END) {
      d->ended = 1;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return rc;
    if (used == 0 && made == 0) break; /* needs more input */
  }
  return Z_OK;
}

static Inflater *inflaterArg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Inflater *d = handleArg(env, info, want, argv);
  if (d == NULL || !d->live || d->busy) {
    napi_throw_type_error(env, NULL, "gz: bad, freed or busy inflater handle");
    return NULL;
  }
  return d;
}

/*
 * Inflates chunk[offset..] into the caller's `out` until `out` is full or the input is used up (see
 * inflateLoop). Returns the bytes written; sets state[0] to the input bytes consumed and state[1]
 * to 1 when the last member seen has ended. No buffer is allocated: the caller reuses `out` once
 * it has dealt with these bytes.
 */
static napi_value inflaterInto(napi_env env, napi_callback_info info) {
  napi_value argv[5], result;
  Inflater *d = inflaterArg(env, info, 5, argv);
  IntoArgs a;
  if (d == NULL || !intoArgs(env, argv, &a)) return NULL;
  const unsigned char *in = a.src + a.offset;
  size_t inLeft = a.srcLen - a.offset;
  size_t outPos = 0;
  int rc = inflateLoop(d, &in, &inLeft, a.dst, a.dstLen, &outPos);
  if (rc != Z_OK) {
    inflaterRelease(env, d);
    return throwZlib(env, rc);
  }
  a.state[0] = (uint32_t)(a.srcLen - a.offset - inLeft);
  a.state[1] = d->ended ? 1 : 0;
  CHECK(napi_create_uint32(env, (uint32_t)outPos, &result));
  return result;
}

/* One intoAsync call: its arguments, held by references until it completes, and its outcome. */
typedef struct {
  napi_async_work work;
  /* handle, chunk, out, state, callback */
  napi_ref refs[5];
  Inflater *d;
  IntoArgs a;
  size_t inLeft;
  size_t outPos;
  int rc;
} IntoJob;

static void intoExecute(napi_env env, void *data) {
  (void)env;
  IntoJob *j = data;
  const unsigned char *in = j->a.src + j->a.offset;
  j->inLeft = j->a.srcLen - j->a.offset;
  j->rc = inflateLoop(j->d, &in, &j->inLeft, j->a.dst, j->a.dstLen, &j->outPos);
}

static void intoComplete(napi_env env, napi_status status, void *data) {
  IntoJob *j = data;
  Inflater *d = j->d;
  napi_value cb, undef, args[2];
  napi_get_undefined(env, &undef);
  napi_get_null(env, &args[0]);
  napi_create_uint32(env, (uint32_t)j->outPos, &args[1]);
  d->busy = 0;
  if (status != napi_ok && j->rc == Z_OK) j->rc = Z_STREAM_ERROR; /* cancelled: never ran */
  if (j->rc != Z_OK) {
    inflaterRelease(env, d);
    napi_value err, msg, errnoVal;
    napi_create_string_utf8(env, "gz: inflate failed", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &err);
    napi_create_int32(env, j->rc, &errnoVal);
    napi_set_named_property(env, err, "errno", errnoVal);
    args[0] = err;
  } else {
    j->a.state[0] = (uint32_t)(j->a.srcLen - j->a.offset - j->inLeft);
    j->a.state[1] = d->ended ? 1 : 0;
  }
  if (d->freeAsked) inflaterRelease(env, d);
  if (napi_get_reference_value(env, j->refs[4], &cb) == napi_ok && cb != NULL) napi_call_function(env, undef, cb, 2, args, NULL);
  for (int i = 0; i < 5; i++) napi_delete_reference(env, j->refs[i]);
  napi_delete_async_work(env, j->work);
  free(j);
}

/*
 * intoAsync(handle, chunk, offset, out, state, callback): `into` run on libuv's pool, so that the
 * caller's thread can hash and write the previous piece meanwhile. callback(error, written) comes
 * with state[0] and state[1] set as `into` sets them. Until then the handle is busy: `into` and
 * another `intoAsync` throw, and `free` waits for the end. The chunk, out and state must not be
 * touched meanwhile; they are kept alive until the callback.
 */
static napi_value inflaterIntoAsync(napi_env env, napi_callback_info info) {
  napi_value argv[6], name;
  napi_valuetype cbType;
  IntoArgs a;
  Inflater *d = inflaterArg(env, info, 6, argv);
  if (d == NULL || !intoArgs(env, argv, &a)) return NULL;
  if (napi_typeof(env, argv[5], &cbType) != napi_ok || cbType != napi_function) {
    napi_throw_type_error(env, NULL, "gz: intoAsync needs a callback");
    return NULL;
  }
  IntoJob *j = calloc(1, sizeof(IntoJob));
  if (j == NULL) return throwZlib(env, Z_MEM_ERROR);
  j->d = d;
  j->a = a;
  static const int held[5] = {0, 1, 3, 4, 5}; /* handle, chunk, out, state, callback */
  int made = 0;
  while (made < 5 && napi_create_reference(env, argv[held[made]], 1, &j->refs[made]) == napi_ok) made++;
  if (made == 5 && napi_create_string_utf8(env, "gz.intoAsync", NAPI_AUTO_LENGTH, &name) == napi_ok &&
      napi_create_async_work(env, NULL, name, intoExecute, intoComplete, j, &j->work) == napi_ok) {
    if (napi_queue_async_work(env, j->work) == napi_ok) {
      d->busy = 1;
      return NULL;
    }
    napi_delete_async_work(env, j->work);
  }
  for (int i = 0; i < made; i++) napi_delete_reference(env, j->refs[i]);
  free(j);
  napi_throw_error(env, NULL, "gz: unable to queue intoAsync");
  return NULL;
}

static napi_value inflaterFree(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Inflater *d = handleArg(env, info, 1, argv);
  if (d == NULL) return NULL;
  if (d->busy) d->freeAsked = 1;
  else inflaterRelease(env, d);
  return NULL;
}

/* zlib's deflate state at memLevel 9 and its 32 KiB window, for V8's accounting. */
#define DEFLATE_STATE_SIZE (320 * 1024)
/* Output gathered per call before it grows: most chunks compress into less. */
#define DEFLATE_OUT_MIN (64 * 1024)

typedef struct {
  z_stream strm;
  int live;
  char *out;
  size_t outCap;
} Deflater;

static void deflaterRelease(napi_env env, Deflater *e) {
  int64_t adjusted;
  if (e->live) {
    deflateEnd(&e->strm);
    e->live = 0;
    napi_adjust_external_memory(env, -DEFLATE_STATE_SIZE, &adjusted);
  }
  release(env, &e->out, &e->outCap);
}

static void deflaterFinalize(napi_env env, void *data, void *hint) {
  (void)hint;
  deflaterRelease(env, data);
  free(data);
}

static napi_value deflaterCreate(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t level = Z_DEFAULT_COMPRESSION;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc > 0) CHECK(napi_get_value_int32(env, argv[0], &level));
  Deflater *e = calloc(1, sizeof(Deflater));
  if (e == NULL) return throwZlib(env, Z_MEM_ERROR);
  int rc = deflateInit2(&e->strm, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  return newHandle(env, e, rc, &e->live, DEFLATE_STATE_SIZE, deflaterFinalize);
}

/*
 * Runs deflate over `len` bytes of `src` with `flush` until zlib has taken all of the input and
 * (Z_FINISH) ended the member, growing the output buffer as needed; returns the output as a new
 * Buffer. On failure the state is released and the error thrown.
 */
static napi_value deflateRun(napi_env env, Deflater *e, const unsigned char *src, size_t len, int flush) {
  napi_value result;
  size_t pos = 0;
  e->strm.next_in = (Bytef *)src;
  e->strm.avail_in = (uInt)len;
  for (;;) {
    if (e->outCap - pos < DEFLATE_OUT_MIN / 2 && !ensure(env, &e->out, &e->outCap, e->outCap == 0 ? DEFLATE_OUT_MIN : e->outCap * 2)) {
      deflaterRelease(env, e);
      return throwZlib(env, Z_MEM_ERROR);
    }
    e->strm.next_out = (Bytef *)e->out + pos;
    e->strm.avail_out = (uInt)(e->outCap - pos);
    int rc = deflate(&e->strm, flush);
    pos = e->outCap - e->strm.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      deflaterRelease(env, e);
      return throwZlib(env, rc);
    }
    /* all input taken and room left over: nothing more comes out until more input (or finish) */
    if (flush != Z_FINISH && e->strm.avail_in == 0 && e->strm.avail_out > 0) break;
  }
  CHECK(napi_create_buffer_copy(env, pos, e->out, NULL, &result));
  return result;
}

static Deflater *deflaterArg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  Deflater *e = handleArg(env, info, want, argv);
  if (e == NULL || !e->live) {
    napi_throw_type_error(env, NULL, "gz: bad or ended deflater handle");
    return NULL;
  }
  return e;
}

static napi_value deflaterUpdate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *src;
  size_t len;
  Deflater *e = deflaterArg(env, info, 2, argv);
  if (e == NULL) return NULL;
  CHECK(napi_get_buffer_info(env, argv[1], &src, &len));
  if (len > UINT32_MAX) {
    napi_throw_type_error(env, NULL, "gz: chunk too large");
    return NULL;
  }
  return deflateRun(env, e, src, len, Z_NO_FLUSH);
}

static napi_value deflaterEnd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Deflater *e = deflaterArg(env, info, 1, argv);
  if (e == NULL) return NULL;
  napi_value result = deflateRun(env, e, NULL, 0, Z_FINISH);
  if (result != NULL) deflaterRelease(env, e);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"create", NULL, inflaterCreate, NULL, NULL, NULL, napi_default, NULL},
    {"into", NULL, inflaterInto, NULL, NULL, NULL, napi_default, NULL},
    {"intoAsync", NULL, inflaterIntoAsync, NULL, NULL, NULL, napi_default, NULL},
    {"free", NULL, inflaterFree, NULL, NULL, NULL, napi_default, NULL},
    {"deflaterCreate", NULL, deflaterCreate, NULL, NULL, NULL, napi_default, NULL},
    {"deflaterUpdate", NULL, deflaterUpdate, NULL, NULL, NULL, napi_default, NULL},
    {"deflaterEnd", NULL, deflaterEnd, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
