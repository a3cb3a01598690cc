/*
 * Optional native PostgreSQL data page checksum validation for pgbackrest-ts (the algorithm of
 * PostgreSQL's storage/checksum_impl.h; spec §4.1). src/io/page-checksum.ts loads it when the build
 * could compile it and validates pages in JavaScript otherwise; both give the same answers.
 *
 * checkPages(buffer, firstBlock) -> number[]
 *   buffer holds whole 8 KiB pages; page i is block firstBlock + i. Returns the block numbers of
 *   the pages that fail: not new (all zeros) and a stored pd_checksum that differs from the one
 *   computed. Words are read in this machine's byte order, as PostgreSQL does.
 */
#include <stdint.h>
#include <string.h>
#include <node_api.h>

#define PAGE_SIZE 8192
#define PAGE_WORDS (PAGE_SIZE / 4)
#define N_SUMS 32
#define FNV_PRIME 16777619u

static const uint32_t BASE_OFFSETS[N_SUMS] = {
  0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
  0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
  0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
  0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
};

#define MIX(sum, value)                                                                            \
  do {                                                                                             \
    uint32_t t_ = (sum) ^ (value);                                                                 \
    (sum) = (t_ * FNV_PRIME) ^ (t_ >> 17);                                                         \
  } while (0)

/* pg_checksum_page() with pd_checksum taken as zero. The 32 independent sums vectorize; the build
 * asks for an AVX2 clone beside the baseline one, chosen when the process starts. */
__attribute__((target_clones("avx2", "default")))
static uint16_t pageChecksum(const uint8_t *page, uint32_t blockNo) {
  uint32_t words[PAGE_WORDS];
  uint32_t sums[N_SUMS];
  uint32_t result = 0;
  memcpy(words, page, PAGE_SIZE);
  /* pd_checksum is bytes 8-9 of the page: the low half of word 2 on a little-endian machine */
  const uint16_t zero = 0;
  memcpy((uint8_t *)words + 8, &zero, sizeof zero);
  memcpy(sums, BASE_OFFSETS, sizeof sums);
  for (int i = 0; i < PAGE_WORDS; i += N_SUMS)
    for (int j = 0; j < N_SUMS; j++) MIX(sums[j], words[i + j]);
  for (int round = 0; round < 2; round++)
    for (int j = 0; j < N_SUMS; j++) MIX(sums[j], 0);
  for (int j = 0; j < N_SUMS; j++) result ^= sums[j];
  return (uint16_t)(((result ^ blockNo) % 65535) + 1);
}

static int pageNew(const uint8_t *page) {
  if (page[14] != 0 || page[15] != 0) return 0;
  for (int i = 0; i < PAGE_SIZE; i++)
    if (page[i] != 0) return 0;
  return 1;
}

static napi_value checkPages(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], out, block;
  void *data;
  size_t length;
  double first;
  uint32_t failed = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok ||
      napi_get_value_double(env, argv[1], &first) != napi_ok || length % PAGE_SIZE != 0) {
    napi_throw_type_error(env, NULL, "checkPages(buffer of whole pages, firstBlock)");
    return NULL;
  }
  if (napi_create_array(env, &out) != napi_ok) return NULL;
  const uint8_t *bytes = data;
  for (size_t i = 0; i < length / PAGE_SIZE; i++) {
    const uint8_t *page = bytes + i * PAGE_SIZE;
    uint32_t blockNo = (uint32_t)first + (uint32_t)i;
    uint16_t stored = (uint16_t)(page[8] | (page[9] << 8));
    if (pageNew(page) || stored == pageChecksum(page, blockNo)) continue;
    if (napi_create_uint32(env, blockNo, &block) != napi_ok || napi_set_element(env, out, failed++, block) != napi_ok) return NULL;
  }
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"checkPages", NULL, checkPages, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, 1, props) != napi_ok) return NULL;
  return exports;
}
