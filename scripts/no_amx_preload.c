// LD_PRELOAD shim for generating fixtures on a CPU with AMX (Sapphire Rapids and later): it refuses the AMX tile
// permission (arch_prctl ARCH_REQ_XCOMP_PERM), so ggml does not register its AMX buffer type and runs the
// AVX-512 VNNI kernels llmrun reproduces (in a container the AMX kernels may also die of SIGILL). Checked: the
// llama3-q8_0 fixture regenerated this way on an Intel Xeon equals the AMD EPYC one but for its `cpu` field.
//   gcc -O2 -shared -fPIC -o /tmp/no_amx_preload.so scripts/no_amx_preload.c -ldl
//   LD_PRELOAD=/tmp/no_amx_preload.so ... python scripts/gen_synthetic_models.py
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <errno.h>
#include <sys/syscall.h>
long syscall(long number, ...) {
    va_list ap; va_start(ap, number);
    long a[6]; for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    if (number == SYS_arch_prctl && a[0] == 0x1023) { errno = EPERM; return -1; }
    static long (*real)(long, ...) = 0;
    if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
