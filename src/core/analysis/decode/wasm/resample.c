// The model's resampler (resample.ts): a separable filter over RGB8 rows for WebAssembly SIMD.
// JavaScript computes the weights (int16, summing to 1 << 14; per output pixel the first source
// index, the tap count and maxTaps weights); hpass filters along rows, vpass along columns, 8 bytes
// at a time. scripts/build-wasm.sh compiles it into resample-wasm.ts (Debian: clang, lld).
#include <stdint.h>
#include <wasm_simd128.h>
// Horizontal: src [sh][sw*3] -> mid [sh][dw*3]. first/count/w per output x (maxTaps stride).
__attribute__((export_name("hpass")))
void hpass(const uint8_t* src, int sw, int sh, uint8_t* mid, int dw, const int32_t* first, const int32_t* count, const int16_t* w, int maxTaps) {
  for (int y = 0; y < sh; y++) {
    const uint8_t* row = src + (long)y * sw * 3;
    uint8_t* orow = mid + (long)y * dw * 3;
    for (int x = 0; x < dw; x++) {
      int32_t r = 8192, g = 8192, b = 8192;
      const uint8_t* p = row + first[x] * 3;
      const int16_t* ww = w + x * maxTaps;
      int n = count[x];
      for (int k = 0; k < n; k++, p += 3) { int32_t q = ww[k]; r += q * p[0]; g += q * p[1]; b += q * p[2]; }
      r >>= 14; g >>= 14; b >>= 14;
      orow[x * 3] = r < 0 ? 0 : r > 255 ? 255 : r;
      orow[x * 3 + 1] = g < 0 ? 0 : g > 255 ? 255 : g;
      orow[x * 3 + 2] = b < 0 ? 0 : b > 255 ? 255 : b;
    }
  }
}
// Vertical: mid [sh][stride] -> out [dh][stride]; SIMD over the row, 8 bytes at a time.
__attribute__((export_name("vpass")))
void vpass(const uint8_t* mid, int stride, uint8_t* out, int dh, const int32_t* first, const int32_t* count, const int16_t* w, int maxTaps) {
  for (int y = 0; y < dh; y++) {
    const int16_t* ww = w + y * maxTaps;
    int n = count[y], f = first[y];
    uint8_t* orow = out + (long)y * stride;
    int i = 0;
    for (; i + 8 <= stride; i += 8) {
      v128_t lo = wasm_i32x4_splat(8192), hi = wasm_i32x4_splat(8192);
      for (int k = 0; k < n; k++) {
        v128_t px = wasm_u16x8_load8x8(mid + (long)(f + k) * stride + i);
        v128_t q = wasm_i16x8_splat(ww[k]);
        lo = wasm_i32x4_add(lo, wasm_i32x4_extmul_low_i16x8(px, q));
        hi = wasm_i32x4_add(hi, wasm_i32x4_extmul_high_i16x8(px, q));
      }
      lo = wasm_i32x4_shr(lo, 14); hi = wasm_i32x4_shr(hi, 14);
      v128_t s16 = wasm_i16x8_narrow_i32x4(lo, hi);
      v128_t u8 = wasm_u8x16_narrow_i16x8(s16, s16);
      wasm_v128_store64_lane(orow + i, u8, 0);
    }
    for (; i < stride; i++) {
      int32_t a = 8192; for (int k = 0; k < n; k++) a += ww[k] * mid[(long)(f + k) * stride + i];
      a >>= 14; orow[i] = a < 0 ? 0 : a > 255 ? 255 : a;
    }
  }
}
// -nostdlib: clang may emit memset calls; a plain one suffices here.
void* memset(void* d, int c, unsigned long n) { volatile uint8_t* p = d; while (n--) *p++ = (uint8_t)c; return d; }
