import CKernels

/// The instruction-set level the C kernels run at (`avx512-vnni`, `avx2` or `scalar`), chosen by CPUID
/// at first use.
public func kernelISAName() -> String {
    String(cString: llk_kernel_name())
}
