/*
 * Optional native helper for pgbackrest-ts: startWriteback(fd[, offset, length]) asks Linux to
 * begin writing a file's dirty pages to disk now, without waiting for them (sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE, as PostgreSQL's writeback flushing does): the whole file, or `length`
 * bytes from `offset` (length 0: to the end). A later fsync(2) of the file then mostly finds the
 * data already written. Returns true when the request was made, false where it is not supported;
 * it is only a hint, never a substitute for fsync.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>

static napi_value startWriteback(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t fd = -1;
  int64_t offset = 0, length = 0;
  int ok = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 &&
      napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0 &&
      (argc < 2 || napi_get_value_int64(env, argv[1], &offset) == napi_ok) &&
      (argc < 3 || napi_get_value_int64(env, argv[2], &length) == napi_ok) && offset >= 0 && length >= 0) {
#ifdef SYNC_FILE_RANGE_WRITE
    ok = sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
#endif
  }
  if (napi_get_boolean(env, ok, &result) != napi_ok) return NULL;
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"startWriteback", NULL, startWriteback, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 1, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
