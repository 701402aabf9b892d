import Foundation

/// Writing to stderr, and a progress line that is shown only when stderr is a terminal.
enum Terminal {
    static let stderrIsTerminal = isatty(STDERR_FILENO) == 1

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    /// Rewrites the current stderr line (terminals only).
    static func status(_ message: String) {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + message).utf8))
    }

    static func endStatus() {
        guard stderrIsTerminal else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }

    static func writeStdout(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func formatBytes(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A byte-progress bar with rate and ETA, redrawn at most ten times a second.
struct ProgressBar {
    let label: String
    let total: Int
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String, total: Int) {
        self.label = label
        self.total = total
    }

    mutating func update(_ done: Int) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= total else { return }
        lastDraw = now
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        Terminal.status(String(format: "%@ [%@] %3.0f%% %@ / %@ %@/s ETA %.0fs", label, bar, fraction * 100,
                               Terminal.formatBytes(done), Terminal.formatBytes(total), Terminal.formatBytes(Int(rate)), eta))
    }
}
