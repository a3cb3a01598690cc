/*
 * Optional native gzip decoder for pgbackrest-ts, on the zlib that Node itself carries (its
 * headers come with Node's, and the symbols resolve against the running node binary, so nothing
 * else is linked). src/io/gz-native.ts loads it when the build could compile it; otherwise gz is
 * decoded by node:zlib's stream, which runs each piece on libuv's pool and costs a round trip per
 * 64 KiB. This runs inflate in the calling thread instead, into a buffer the caller reuses.
 *
 * create() -> handle
 * into(handle, chunk, offset, out, state) -> bytes written to out (see inflaterInto below)
 * free(handle) releases the zlib state at once (the finalizer only covers handles dropped early).
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

static napi_value inflaterCreate(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value handle;
  int64_t adjusted;
  Inflater *d = calloc(1, sizeof(Inflater));
  if (d == NULL) return throwZlib(env, Z_MEM_ERROR);
  // windowBits 15 + 16: gzip only, as pgBackRest decodes (a zlib-wrapped stream is a data error)
  int rc = inflateInit2(&d->strm, 15 + 16);
  if (rc != Z_OK) {
    free(d);
    return throwZlib(env, rc);
  }
  d->live = 1;
  napi_adjust_external_memory(env, STATE_SIZE, &adjusted);
  CHECK(napi_create_external(env, d, inflaterFinalize, NULL, &handle));
  return handle;
}

/*
 * Inflates chunk[offset..] into the caller's `out` until `out` is full or the input is used up.
 * Returns the bytes written; sets state[0] to the input bytes consumed and state[1] to 1 when the
 * last member seen has ended. After a member's end, more input is decoded as the next member,
 * unless it starts with a zero byte: then it is padding, consumed and dropped (node:zlib's rule).
 * No buffer is allocated: the caller reuses `out` once it has dealt with these bytes.
 */
static napi_value inflaterInto(napi_env env, napi_callback_info info) {
  napi_value argv[5], result;
  Inflater *d = handleArg(env, info, 5, argv);
  IntoArgs a;
  if (d == NULL || !d->live) {
    napi_throw_type_error(env, NULL, "gz: bad or freed inflater handle");
    return NULL;
  }
  if (!intoArgs(env, argv, &a)) return NULL;
  const unsigned char *in = a.src + a.offset;
  size_t inLeft = a.srcLen - a.offset;
  size_t outPos = 0;
  // also with no input left: a call that filled `out` may have left output pending in zlib
  while (outPos < a.dstLen) {
    if (d->ended) {
      if (inLeft == 0) break;
      if (in[0] == 0) {
        inLeft = 0; /* zero padding after the last member */
        break;
      }
      inflateReset(&d->strm);
      d->ended = 0;
    }
    d->strm.next_in = (Bytef *)in;
    d->strm.avail_in = (uInt)inLeft;
    d->strm.next_out = a.dst + outPos;
    d->strm.avail_out = (uInt)(a.dstLen - outPos);
    int rc = inflate(&d->strm, Z_NO_FLUSH);
    size_t used = inLeft - d->strm.avail_in;
    size_t made = (a.dstLen - outPos) - d->strm.avail_out;
    in += used;
    inLeft -= used;
    outPos += made;
    if (rc == Z_STREAM_END) {
      d->ended = 1;
      continue;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      inflaterRelease(env, d);
      return throwZlib(env, rc);
    }
    if (used == 0 && made == 0) break; /* needs more input */
  }
  a.state[0] = (uint32_t)(a.srcLen - a.offset - inLeft);
  a.state[1] = d->ended ? 1 : 0;
  CHECK(napi_create_uint32(env, (uint32_t)outPos, &result));
  return result;
}

static napi_value inflaterFree(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  Inflater *d = handleArg(env, info, 1, argv);
  if (d != NULL) inflaterRelease(env, d);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"create", NULL, inflaterCreate, NULL, NULL, NULL, napi_default, NULL},
    {"into", NULL, inflaterInto, NULL, NULL, NULL, napi_default, NULL},
    {"free", NULL, inflaterFree, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
