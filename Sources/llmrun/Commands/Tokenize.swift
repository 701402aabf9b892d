import ArgumentParser
import Foundation
import Transformer

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the token ids of a text (one `id<TAB>piece` per line, or --json).")

    @OptionGroup var model: ModelOptions

    @Argument(help: "The text (or use -f).")
    var text: String?

    @Option(name: .short, help: "Read the text from a file (- for stdin).")
    var file: String?

    @Flag(help: "Print exactly one JSON array of ids.")
    var json = false

    @Flag(name: .customLong("no-bos"), help: "Do not add BOS even when the model's metadata says so.")
    var noBOS = false

    @Flag(help: "Parse control-token text such as <|im_start|> as special tokens.")
    var special = false

    @Flag(help: "Replace invalid UTF-8 with U+FFFD instead of failing.")
    var lossy = false

    @Option(name: .customLong("timing"), help: ArgumentHelp(
        "After one warm-up, encode the text RUNS more times and print the median and fastest encode time on stderr (model load excluded).",
        valueName: "RUNS"))
    var timingRuns: Int?

    func validate() throws {
        guard (text == nil) != (file == nil) else { throw ValidationError("give exactly one of TEXT or -f FILE") }
        if let timingRuns, timingRuns < 1 { throw ValidationError("--timing must be at least 1 (got \(timingRuns))") }
    }

    func run() throws {
        let input = try text ?? TextInput.read(path: file ?? "-", lossy: lossy)
        let gguf = try GGUFFile(path: try model.resolvePath())
        let tokenizer = try makeTokenizer(gguf: gguf)
        let addBOS = !noBOS && tokenizer.addsBOS
        let ids: [Int32]
        if let timingRuns {
            let times = try Benchmark.timeEncoding(input, tokenizer: tokenizer, addBOS: addBOS, parseSpecial: special, runs: timingRuns)
            ids = times.ids
            Terminal.printError(String(format: "encode: %d ids from %d bytes, median %.3f ms, fastest %.3f ms over %d runs",
                                       ids.count, input.utf8.count, times.medianNanoseconds / 1e6,
                                       Double(times.fastestNanoseconds) / 1e6, timingRuns))
        } else {
            ids = tokenizer.encode(input, addBOS: addBOS, parseSpecial: special)
        }
        if json {
            print("[" + ids.map(String.init).joined(separator: ",") + "]")
            return
        }
        var out = ""
        for id in ids {
            let piece = String(decoding: tokenizer.pieceBytes(id, renderSpecial: true), as: UTF8.self)
            out += "\(id)\t\(piece.debugDescription.dropFirst().dropLast())\n"
        }
        Terminal.writeStdout(out)
    }
}
