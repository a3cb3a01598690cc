/*
 * Node-API helpers shared by the optional native codecs (lz4f.c, gz.c). Each addon is compiled on
 * its own into its own .node file and includes this header; define ADDON_NAME ("lz4f", "gz")
 * before including it, for the messages.
 */
#ifndef PGBR_ADDON_H
#define PGBR_ADDON_H

#include <stdint.h>
#include <stdlib.h>
#include <node_api.h>

/* Returns NULL from the calling function, with a JavaScript error thrown, when a Node-API call fails. */
#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, NULL, ADDON_NAME ": node-api call failed");                            \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* The native object behind argv[0] (an external), with `want` arguments read into argv; NULL if absent. */
static void *handleArg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok) return NULL;
  return data;
}

/* Grows a malloc'd output buffer to at least `need` bytes, telling V8 of the memory; 0 when out of memory. */
static int ensure(napi_env env, char **buf, size_t *cap, size_t need) {
  int64_t adjusted;
  if (*cap >= need) return 1;
  char *grown = realloc(*buf, need);
  if (grown == NULL) return 0;
  napi_adjust_external_memory(env, (int64_t)(need - *cap), &adjusted);
  *buf = grown;
  *cap = need;
  return 1;
}

/* Frees a buffer made by ensure() and tells V8. */
static void release(napi_env env, char **buf, size_t *cap) {
  int64_t adjusted;
  if (*buf == NULL) return;
  free(*buf);
  napi_adjust_external_memory(env, -(int64_t)*cap, &adjusted);
  *buf = NULL;
  *cap = 0;
}

/* The arguments after the handle of a decoder's `into(handle, chunk, offset, out, state)`. */
typedef struct {
  const unsigned char *src; /* chunk */
  size_t srcLen;
  size_t offset; /* where in chunk to start */
  unsigned char *dst; /* out */
  size_t dstLen;
  uint32_t *state; /* [0] = input consumed, [1] = 1 when a frame or member just ended */
} IntoArgs;

/*
 * Reads argv[1..4] of an `into` call. Returns 0 with a JavaScript error thrown when they are not a
 * buffer, an offset inside it, a buffer and a Uint32Array of at least 2 (sizes must fit in 32 bits,
 * as the counts are returned in one).
 */
static int intoArgs(napi_env env, napi_value *argv, IntoArgs *a) {
  void *src, *dst, *stateData;
  size_t stateLen;
  uint32_t offset;
  napi_typedarray_type stateType;
  if (napi_get_buffer_info(env, argv[1], &src, &a->srcLen) != napi_ok || napi_get_value_uint32(env, argv[2], &offset) != napi_ok ||
      napi_get_buffer_info(env, argv[3], &dst, &a->dstLen) != napi_ok ||
      napi_get_typedarray_info(env, argv[4], &stateType, &stateLen, &stateData, NULL, NULL) != napi_ok ||
      stateType != napi_uint32_array || stateLen < 2 || offset > a->srcLen || a->srcLen > UINT32_MAX || a->dstLen > UINT32_MAX) {
    napi_throw_type_error(env, NULL, ADDON_NAME ": bad into arguments");
    return 0;
  }
  a->src = src;
  a->offset = offset;
  a->dst = dst;
  a->state = stateData;
  return 1;
}

#endif
