import Foundation
import Transformer

/// A REPL command (a line starting with `/`).
public enum ChatCommand: Sendable, Equatable {
    case help
    case reset
    case system(String)
    case stats
    /// What the last answer about the articles rested on.
    case sources
    case bye
    case unknown(String)

    /// The command on `line`, or nil when the line is a message.
    public static func parse(_ line: String) -> ChatCommand? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("/") else { return nil }
        let parts = trimmed.split(separator: " ", maxSplits: 1)
        let argument = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
        switch parts.first.map(String.init) ?? "" {
        case "/help", "/?": return .help
        case "/reset": return .reset
        case "/system": return .system(argument)
        case "/stats": return .stats
        case "/sources": return .sources
        case "/bye", "/exit", "/quit": return .bye
        default: return .unknown(trimmed)
        }
    }

    public static let helpText = """
        Type a message and press Enter; the answer streams back. Ctrl-C stops an answer; Ctrl-D or /bye quits.
        A message of several lines goes between two lines of three double quotes (\"\"\").
          /help          this help
          /reset         forget the conversation (the system prompt and the articles stay)
          /system TEXT   replace the system prompt (no TEXT: the model's default)
          /stats         context use and the speed of the last answer
          /sources       the sentences the last answer rests on, with file and line (chat -f)
          /bye           quit
        """
}

/// Gathers lines into inputs: a line is an input by itself, except between two `"""` lines, where the
/// lines in between are one input.
public struct ChatInputCollector: Sendable {
    private var pending: [String]?

    public init() {}

    /// True inside a `"""` block (the REPL shows a continuation prompt).
    public var isCollecting: Bool { pending != nil }

    /// The complete input once `line` ends one, otherwise nil.
    public mutating func add(_ line: String) -> String? {
        let isFence = line.trimmingCharacters(in: .whitespaces) == "\"\"\""
        if var lines = pending {
            if isFence {
                pending = nil
                return lines.joined(separator: "\n")
            }
            lines.append(line)
            pending = lines
            return nil
        }
        if isFence {
            pending = []
            return nil
        }
        return line
    }
}
