/*
 * Optional native helper for pgbackrest-ts: startWriteback(fd[, offset, length]) asks Linux to
 * begin writing a file's dirty pages to disk now, without waiting for them (sync_file_range(2) with
 * SYNC_FILE_RANGE_WRITE, as PostgreSQL's writeback flushing does): the whole file, or `length`
 * bytes from `offset` (length 0: to the end). A later fsync(2) of the file then mostly finds the
 * data already written. Returns true when the request was made, false where it is not supported;
 * it is only a hint, never a substitute for fsync.
 *
 * dropBehind(fd, offset, length): waits until `length` bytes of the file from `offset` are written
 * (sync_file_range(2) with SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
 * SYNC_FILE_RANGE_WAIT_AFTER) and then drops them from the page cache (posix_fadvise(2)
 * POSIX_FADV_DONTNEED). Returns true when both succeeded, false for a bad descriptor or range or
 * where it is not supported. It does not make the file durable: its metadata still needs fsync(2).
 *
 * syncPath(path, callback): open(2) read-only, fsync(2) and close(2) of a file or directory as one
 * job on libuv's thread pool; callback(error) runs on the calling thread with null, or an error with
 * `code` (ENOENT...), `errno` (negative, as Node's) and `syscall` ('open' or 'fsync').
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The (fd[, offset, length]) arguments of both calls: true when at least `required` are given, fd is
 * not negative and the range is not negative. Missing ones stay 0 (length 0: to the end).
 */
static int rangeArgs(napi_env env, napi_callback_info info, size_t required, int32_t *fd, int64_t *offset, int64_t *length) {
  size_t argc = 3;
  napi_value argv[3];
  *fd = -1;
  *offset = 0;
  *length = 0;
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= required &&
         napi_get_value_int32(env, argv[0], fd) == napi_ok && *fd >= 0 &&
         (argc < 2 || napi_get_value_int64(env, argv[1], offset) == napi_ok) &&
         (argc < 3 || napi_get_value_int64(env, argv[2], length) == napi_ok) && *offset >= 0 && *length >= 0;
}

static napi_value boolean(napi_env env, int value) {
  napi_value result;
  if (napi_get_boolean(env, value, &result) != napi_ok) return NULL;
  return result;
}

static napi_value startWriteback(napi_env env, napi_callback_info info) {
  int32_t fd;
  int64_t offset, length;
  int ok = 0;
  if (rangeArgs(env, info, 1, &fd, &offset, &length)) {
#ifdef SYNC_FILE_RANGE_WRITE
    ok = sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0;
#endif
  }
  return boolean(env, ok);
}

static napi_value dropBehind(napi_env env, napi_callback_info info) {
  int32_t fd;
  int64_t offset, length;
  int ok = 0;
  if (rangeArgs(env, info, 3, &fd, &offset, &length) && length > 0) {
#ifdef SYNC_FILE_RANGE_WRITE
    ok = sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0 &&
         posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED) == 0;
#endif
  }
  return boolean(env, ok);
}

typedef struct {
  napi_async_work work;
  napi_ref callback;
  char *path;
  int error;
  const char *syscall;
} SyncJob;

static void syncExecute(napi_env env, void *data) {
  (void)env;
  SyncJob *j = data;
  int fd = open(j->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    j->error = errno;
    j->syscall = "open";
    return;
  }
  if (fsync(fd) != 0) {
    j->error = errno;
    j->syscall = "fsync";
  }
  close(fd);
}

static void syncComplete(napi_env env, napi_status status, void *data) {
  SyncJob *j = data;
  napi_value cb, undef, arg, code, num, call, msg;
  napi_get_undefined(env, &undef);
  napi_get_null(env, &arg);
  if (status != napi_ok && j->error == 0) {
    j->error = EIO;
    j->syscall = "fsync";
  }
  if (j->error != 0) {
    const char *name = strerrorname_np(j->error);
    napi_create_string_utf8(env, strerror(j->error), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &arg);
    napi_create_string_utf8(env, name != NULL ? name : "EIO", NAPI_AUTO_LENGTH, &code);
    napi_set_named_property(env, arg, "code", code);
    napi_create_int32(env, -j->error, &num);
    napi_set_named_property(env, arg, "errno", num);
    napi_create_string_utf8(env, j->syscall, NAPI_AUTO_LENGTH, &call);
    napi_set_named_property(env, arg, "syscall", call);
  }
  if (napi_get_reference_value(env, j->callback, &cb) == napi_ok) napi_call_function(env, undef, cb, 1, &arg, NULL);
  napi_delete_reference(env, j->callback);
  napi_delete_async_work(env, j->work);
  free(j->path);
  free(j);
}

static napi_value syncPath(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2], name;
  SyncJob *j = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok || (j = calloc(1, sizeof(SyncJob))) == NULL ||
      (j->path = malloc(len + 1)) == NULL || napi_get_value_string_utf8(env, argv[0], j->path, len + 1, &len) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &j->callback) != napi_ok) {
    if (j != NULL) free(j->path);
    free(j);
    napi_throw_type_error(env, NULL, "writeback: syncPath(path, callback)");
    return NULL;
  }
  if (napi_create_string_utf8(env, "writeback.syncPath", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, syncExecute, syncComplete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    napi_delete_reference(env, j->callback);
    free(j->path);
    free(j);
    napi_throw_error(env, NULL, "writeback: unable to queue syncPath");
    return NULL;
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"startWriteback", NULL, startWriteback, NULL, NULL, NULL, napi_default, NULL},
    {"dropBehind", NULL, dropBehind, NULL, NULL, NULL, napi_default, NULL},
    {"syncPath", NULL, syncPath, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 3, props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() {
  return init(env, exports);
}
