import Foundation

extension Benchmark {
    /// Encode times of one text, the model's loading excluded: one untimed warm-up encode, then `runs`
    /// timed ones on the calling thread (pin the process to one core to measure one core).
    public struct EncodeTimes: Sendable {
        /// The ids of the text (every run gives the same).
        public let ids: [Int32]
        /// Wall time of each timed encode, in nanoseconds, in the order they ran.
        public let samplesNanoseconds: [UInt64]

        public var fastestNanoseconds: UInt64 { samplesNanoseconds.min() ?? 0 }

        /// The middle sample (the mean of the two middle ones for an even count).
        public var medianNanoseconds: Double {
            let sorted = samplesNanoseconds.sorted()
            guard !sorted.isEmpty else { return 0 }
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? Double(sorted[middle]) : (Double(sorted[middle - 1]) + Double(sorted[middle])) / 2
        }
    }

    public static func timeEncoding(_ text: String, tokenizer: any Tokenizer, addBOS: Bool, parseSpecial: Bool,
                                    runs: Int) throws -> EncodeTimes {
        guard runs >= 1 else { throw Failure.badRepetitions(runs) }
        let ids = tokenizer.encode(text, addBOS: addBOS, parseSpecial: parseSpecial)
        var samples: [UInt64] = []
        samples.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            withExtendedLifetime(tokenizer.encode(text, addBOS: addBOS, parseSpecial: parseSpecial)) {
                samples.append(DispatchTime.now().uptimeNanoseconds - start)
            }
        }
        return EncodeTimes(ids: ids, samplesNanoseconds: samples)
    }
}
