#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibFuzzer
import Foundation
import ModelStore
import Transformer

/// The running target's function of one input, set once by `FuzzSupport.run` before any input arrives.
nonisolated(unsafe) private var targetBody: (UnsafeRawBufferPointer) -> Void = { _ in }

/// What libFuzzer calls with each input (and the name its own `main` would look for).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    targetBody(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// What every fuzz target shares: the entry point, the replay driver of ordinary builds, the invariant
/// check, and the real vocabularies and chat templates the targets run on (loaded once per process).
public enum FuzzSupport {
    /// A broken invariant: prints it and aborts, which libFuzzer records as a crash with the input.
    public static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                             file: StaticString = #fileID, line: UInt = #line) {
        guard !condition() else { return }
        printError("\(file):\(line): invariant broken: \(message())\n")
        abort()
    }

    /// The entry point of a fuzz target: `body` runs on every input, under libFuzzer's driver when built
    /// with `-sanitize=fuzzer -DFUZZING`, otherwise on the files named on the command line (`replay`).
    /// `prepare` runs first, outside the per-input time limit (loading vocabularies).
    public static func run(_ body: @escaping (UnsafeRawBufferPointer) -> Void, prepare: () -> Void = {}) -> Never {
        prepare()
        targetBody = body
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
        replay(body)
        #endif
    }

    /// The entry point of a fuzz target in an ordinary build (no `-sanitize=fuzzer`): runs `body` on each
    /// file named on the command line (directories: every file inside), to reproduce a finding.
    static func replay(_ body: (UnsafeRawBufferPointer) -> Void) -> Never {
        let arguments = CommandLine.arguments.dropFirst()
        guard !arguments.isEmpty else {
            printError("usage: \(CommandLine.arguments[0]) FILE|DIRECTORY...\n"
                + "Runs the fuzz target on each input; `make fuzz` builds it with libFuzzer instead.\n")
            exit(2)
        }
        var paths: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                paths += names.sorted().map { argument + "/" + $0 }
            } else {
                paths.append(argument)
            }
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("\(path): cannot read\n")
                exit(1)
            }
            data.withUnsafeBytes { body($0) }
        }
        print("\(paths.count) inputs, no finding")
        exit(0)
    }

    /// Writes `message` to standard error.
    public static func printError(_ message: String) {
        FileHandle.standardError.write(Data(message.utf8))
    }

    /// The directory holding the catalog models (`LLMRUN_HOME`/models, as `llmrun` uses).
    public static var modelDirectory: String { ModelStore.defaultHome.appendingPathComponent("models").path }

    /// Vocabularies of the catalog models that cover both tokenizer kinds and the BPE pre-tokenizers:
    /// byte-level BPE (qwen2, smollm) and SentencePiece (gemma3).
    public static let tokenizerModels = ["qwen2.5-0.5b", "smollm2-135m", "gemma3-270m"]
    /// Which of them are byte-level BPE (whose decoding inverts encoding exactly).
    public static let isByteLevelBPE = [true, true, false]

    /// The GGUF files of `tokenizerModels`, opened on first use. A missing model stops the run: a fuzz
    /// run without its vocabulary would pass while testing nothing.
    static let tokenizerFiles: [GGUFFile] = tokenizerModels.map { name in
        let path = modelDirectory + "/\(name).gguf"
        do {
            return try GGUFFile(path: path)
        } catch {
            printError("fuzz: cannot open \(name): \(error) (run `llmrun pull \(name)`)\n")
            exit(1)
        }
    }

    /// The tokenizers of `tokenizerModels`.
    public static let tokenizers: [any Tokenizer] = zip(tokenizerModels, tokenizerFiles).map { name, file in
        do {
            return try makeTokenizer(gguf: file)
        } catch {
            printError("fuzz: cannot load the vocabulary of \(name): \(error)\n")
            exit(1)
        }
    }

    /// The chat templates of `tokenizerModels`, as `llmrun serve` detects them.
    public static let chatTemplates: [ChatTemplate] = zip(tokenizerModels, tokenizerFiles).map { name, file in
        guard let template = ChatTemplate.detect(jinja: try? file.optionalString("tokenizer.chat_template")) else {
            printError("fuzz: \(name) has no chat template llmrun recognizes\n")
            exit(1)
        }
        return template
    }

    /// For each tokenizer, the id of the token that stands for each byte value (byte-level BPE's 256 byte
    /// tokens, SentencePiece's `<0xNN>`), so a fuzz input can be turned into an arbitrary byte stream.
    public static let byteTokens: [[Int32]] = tokenizers.map { tokenizer in
        var ids = [Int32](repeating: -1, count: 256)
        for id in 0..<Int32(tokenizer.vocabularySize) {
            let piece = tokenizer.pieceBytes(id, renderSpecial: true)
            if piece.count == 1, ids[Int(piece[0])] < 0 { ids[Int(piece[0])] = id }
        }
        return ids
    }
}
