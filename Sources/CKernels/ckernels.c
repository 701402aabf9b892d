#include "ckernels.h"
// Placeholder until the kernels land: no type has an integer kernel yet, so callers use the generic path.
int llk_supported(int ggml_type) { (void)ggml_type; return 0; }
size_t llk_activation_bytes(int ggml_type, int64_t n) { (void)ggml_type; (void)n; return 0; }
void llk_quantize_activation(int ggml_type, const float *x, void *xq, int64_t n) { (void)ggml_type; (void)x; (void)xq; (void)n; }
void llk_matvec(int t, const void *w, size_t rb, const void *xq, int64_t n, float *y, int64_t b, int64_t e) { (void)t; (void)w; (void)rb; (void)xq; (void)n; (void)y; (void)b; (void)e; }
void llk_matmul(int t, const void *w, size_t rb, const void *xq, size_t s, int64_t c, int64_t n, float *y, int64_t l, int64_t b, int64_t e) { (void)t; (void)w; (void)rb; (void)xq; (void)s; (void)c; (void)n; (void)y; (void)l; (void)b; (void)e; }
