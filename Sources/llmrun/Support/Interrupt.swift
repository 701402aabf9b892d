import Foundation

/// Ctrl-C as a request to stop the current work, not the process: a SIGINT handler sets a flag that long
/// loops check (per token while generating).
enum Interrupt {
    /// Written by the signal handler, read by the main thread; a lock is not async-signal-safe, and a
    /// word-sized store is all the handler does.
    nonisolated(unsafe) private static var flag: sig_atomic_t = 0

    static func install() {
        signal(SIGINT) { _ in Interrupt.flag = 1 }
    }

    static var requested: Bool { flag != 0 }

    static func clear() { flag = 0 }
}
