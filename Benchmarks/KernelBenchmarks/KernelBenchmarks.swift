import Benchmark
import Tensor

let benchmarks: @Sendable () -> Void = {
}
