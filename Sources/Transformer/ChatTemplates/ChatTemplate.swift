import Foundation

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// The prompt formats llmrun renders natively. A GGUF's Jinja `tokenizer.chat_template` is recognized by
/// its markers and mapped to one of these, so no template engine runs at inference time; the renderers
/// are tested against the Jinja rendering of the real templates (scripts/gen_chat_template_fixtures.py).
/// The rendered text carries no BOS: the tokenizer adds it by the model's rule.
public enum ChatTemplate: Sendable, Equatable {
    /// `<|im_start|>role\ncontent<|im_end|>\n` (Qwen, SmolLM2). `defaultSystem` is inserted when the
    /// conversation has no system message and the model's template does so.
    case chatML(defaultSystem: String?)
    /// `<start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n` (Gemma); a system message is prefixed to the first user turn.
    case gemma
    /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>` (Llama 3).
    case llama3
    /// Llama 3.1 and later: Llama 3's headers, and a system turn that is always there and opens with
    /// "Cutting Knowledge Date: December 2023\nToday Date: <date>\n\n". `date` nil: today, as "06 Dec 2026"
    /// (Llama 3.2's template asks for `strftime_now`); Llama 3.1's template fixes "26 Jul 2024".
    case llama31(date: String?)
    /// Qwen3: ChatML, where an assistant turn before the last user message loses its reasoning
    /// (`<think>…</think>`), and the last one, in a closed conversation, shows it in a `<think>` block.
    case qwen3
    /// `<|user|>\ncontent<|end|>\n<|assistant|>\n` (Phi-3, Phi-3.5, Phi-4-mini); an empty system message is left out.
    case phi3
    /// No template (base models): the messages' contents joined by blank lines.
    case plain

    public static let names = ["chatml", "gemma", "llama3", "llama3.1", "phi3", "plain", "qwen3"]

    /// The template a GGUF declares, or nil when its template is not one we recognize.
    public static func detect(jinja: String?) -> ChatTemplate? {
        guard let jinja else { return .plain }
        if jinja.contains("<|im_start|>") {
            // Qwen3's template takes an earlier answer's reasoning apart at its </think>.
            if jinja.contains("</think>") && jinja.contains("reasoning_content") { return .qwen3 }
            return .chatML(defaultSystem: defaultChatMLSystem(in: jinja))
        }
        if jinja.contains("<start_of_turn>") { return .gemma }
        if jinja.contains("<|start_header_id|>") {
            guard jinja.contains("Cutting Knowledge Date") else { return .llama3 }
            return .llama31(date: jinja.contains("strftime_now") ? nil : fixedLlamaDate(in: jinja))
        }
        if jinja.contains("<|user|>") && jinja.contains("<|end|>") && jinja.contains("<|assistant|>") { return .phi3 }
        return nil
    }

    /// A template by name (`--template`).
    public static func named(_ name: String) -> ChatTemplate? {
        switch name {
        case "chatml": .chatML(defaultSystem: nil)
        case "gemma": .gemma
        case "llama3": .llama3
        case "llama3.1": .llama31(date: nil)
        case "qwen3": .qwen3
        case "phi3": .phi3
        case "plain": .plain
        default: nil
        }
    }

    /// The date a Llama 3.1 template writes when it is given none (`set date_string = "26 Jul 2024"`).
    static func fixedLlamaDate(in jinja: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: #"set date_string = "([^"]+)""#),
              let match = regex.firstMatch(in: jinja, range: NSRange(jinja.startIndex..., in: jinja)),
              let range = Range(match.range(at: 1), in: jinja)
        else { return nil }
        return String(jinja[range])
    }

    /// Today as `strftime("%d %b %Y")` writes it in the C locale.
    static func today() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "dd MMM yyyy"
        return formatter.string(from: Date())
    }

    /// The template to prompt `gguf`'s model with: the one named by `override` (`--template`), else the one
    /// its `tokenizer.chat_template` declares. An unknown name or an unrecognized template is an error that
    /// says what to pass instead.
    public static func resolve(for gguf: GGUFFile, override: String?) throws -> ChatTemplate {
        if let override {
            guard let template = named(override) else { throw ChatTemplateError.unknownName(override) }
            return template
        }
        guard let template = detect(jinja: try gguf.optionalString("tokenizer.chat_template")) else {
            throw ChatTemplateError.unrecognized(path: gguf.path)
        }
        return template
    }

    /// The system prompt a ChatML template inserts by default, e.g. Qwen's "You are Qwen, created by …".
    static func defaultChatMLSystem(in jinja: String) -> String? {
        let pattern = #"<\|im_start\|>system(?:\\n|\n)([^'"+{}]+?)<\|im_end\|>"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: jinja, range: NSRange(jinja.startIndex..., in: jinja)),
              let range = Range(match.range(at: 1), in: jinja)
        else { return nil }
        return String(jinja[range])
    }

    /// The prompt text for `messages`; with `addGenerationPrompt`, ends where the assistant's answer begins.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        prompt(messages, addGenerationPrompt: addGenerationPrompt).text
    }

    /// The same prompt as `render`, with the template's control tokens kept apart from the messages'
    /// text, so that a message that contains `<|im_end|>` stays text (`Tokenizer.encode(_:addBOS:)`).
    public func prompt(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> ChatPrompt {
        var out = ChatPrompt()
        switch self {
        case .chatML(let defaultSystem):
            if messages.first?.role != .system, let defaultSystem {
                out.control("<|im_start|>"); out.text("system\n\(defaultSystem)"); out.control("<|im_end|>"); out.text("\n")
            }
            for message in messages {
                out.control("<|im_start|>"); out.text("\(message.role.rawValue)\n\(message.content)"); out.control("<|im_end|>"); out.text("\n")
            }
            if addGenerationPrompt { out.control("<|im_start|>"); out.text("assistant\n") }
        case .gemma:
            var pendingSystem: String?
            for message in messages {
                switch message.role {
                case .system: pendingSystem = message.content
                case .user:
                    // Gemma's template trims contents and prefixes the system text to the first user turn.
                    let user = message.content.trimmingCharacters(in: .whitespacesAndNewlines)
                    let content = pendingSystem.map { $0 + "\n\n" + user } ?? user
                    pendingSystem = nil
                    out.control("<start_of_turn>"); out.text("user\n\(content)"); out.control("<end_of_turn>"); out.text("\n")
                case .assistant:
                    out.control("<start_of_turn>"); out.text("model\n\(message.content.trimmingCharacters(in: .whitespacesAndNewlines))")
                    out.control("<end_of_turn>"); out.text("\n")
                }
            }
            if addGenerationPrompt { out.control("<start_of_turn>"); out.text("model\n") }
        case .llama3:
            for message in messages {
                let content = message.content.trimmingCharacters(in: .whitespacesAndNewlines)
                out.control("<|start_header_id|>"); out.text(message.role.rawValue); out.control("<|end_header_id|>")
                out.text("\n\n\(content)"); out.control("<|eot_id|>")
            }
            if addGenerationPrompt { out.control("<|start_header_id|>"); out.text("assistant"); out.control("<|end_header_id|>"); out.text("\n\n") }
        case .llama31(let date):
            // The first message, when it is the system's, fills the system turn; the turn is there regardless.
            var rest = messages[...]
            var system = ""
            if let first = rest.first, first.role == .system {
                system = first.content.trimmingCharacters(in: .whitespacesAndNewlines)
                rest = rest.dropFirst()
            }
            out.control("<|start_header_id|>"); out.text("system"); out.control("<|end_header_id|>")
            out.text("\n\nCutting Knowledge Date: December 2023\nToday Date: \(date ?? Self.today())\n\n\(system)"); out.control("<|eot_id|>")
            for message in rest {
                out.control("<|start_header_id|>"); out.text(message.role.rawValue); out.control("<|end_header_id|>")
                out.text("\n\n\(message.content.trimmingCharacters(in: .whitespacesAndNewlines))"); out.control("<|eot_id|>")
            }
            if addGenerationPrompt { out.control("<|start_header_id|>"); out.text("assistant"); out.control("<|end_header_id|>"); out.text("\n\n") }
        case .qwen3:
            let lastQuery = messages.lastIndex { $0.role == .user } ?? messages.count - 1
            for (index, message) in messages.enumerated() {
                var content = message.content
                if message.role == .assistant {
                    var reasoning = ""
                    if content.contains("</think>") {
                        let parts = content.components(separatedBy: "</think>")
                        content = parts.last!.droppingLeadingNewlines
                        let before = parts[0].droppingTrailingNewlines
                        reasoning = before.components(separatedBy: "<think>").last!.droppingLeadingNewlines
                    }
                    // The answer being closed (or one after the last question that reasoned) keeps its reasoning.
                    if index > lastQuery && (index == messages.count - 1 || !reasoning.isEmpty) {
                        content = "<think>\n" + reasoning.droppingLeadingNewlines.droppingTrailingNewlines + "\n</think>\n\n"
                            + content.droppingLeadingNewlines
                    }
                }
                out.control("<|im_start|>"); out.text("\(message.role.rawValue)\n\(content)"); out.control("<|im_end|>"); out.text("\n")
            }
            if addGenerationPrompt { out.control("<|im_start|>"); out.text("assistant\n") }
        case .phi3:
            for message in messages where !(message.role == .system && message.content.isEmpty) {
                out.control("<|\(message.role.rawValue)|>"); out.text("\n\(message.content)"); out.control("<|end|>"); out.text("\n")
            }
            if addGenerationPrompt { out.control("<|assistant|>"); out.text("\n") }
        case .plain:
            var text = messages.map(\.content).joined(separator: "\n\n")
            if addGenerationPrompt, !text.isEmpty { text += "\n\n" }
            out.text(text)
        }
        return out
    }
}

/// Why no chat template could be chosen for a model.
public enum ChatTemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `--template NAME` names no built-in template.
    case unknownName(String)
    /// The GGUF's `tokenizer.chat_template` is none that llmrun renders.
    case unrecognized(path: String)

    public var description: String {
        switch self {
        case .unknownName(let name):
            "--template \(name) is unknown; expected one of \(ChatTemplate.names.joined(separator: ", "))"
        case .unrecognized(let path):
            "\(path): tokenizer.chat_template is not a template llmrun recognizes; pass --template \(ChatTemplate.names.joined(separator: "|"))"
        }
    }
}

/// A rendered chat prompt: the template's control tokens, and text between them (template text and
/// message contents, merged as llama.cpp's tokenizer sees it between two control tokens).
public struct ChatPrompt: Sendable, Equatable {
    public enum Part: Sendable, Equatable {
        case control(String)
        case text(String)
    }

    public private(set) var parts: [Part] = []

    public var text: String {
        parts.map { part in
            switch part {
            case .control(let token), .text(let token): token
            }
        }.joined()
    }

    mutating func control(_ token: String) { parts.append(.control(token)) }

    mutating func text(_ text: String) {
        guard !text.isEmpty else { return }
        if case .text(let previous)? = parts.last {
            parts[parts.count - 1] = .text(previous + text)
        } else {
            parts.append(.text(text))
        }
    }
}

extension String {
    /// This string without its leading newlines (Python's `lstrip('\n')`).
    var droppingLeadingNewlines: String { String(drop(while: { $0 == "\n" })) }
    /// This string without its trailing newlines (Python's `rstrip('\n')`).
    var droppingTrailingNewlines: String {
        var end = endIndex
        while end > startIndex, self[index(before: end)] == "\n" { end = index(before: end) }
        return String(self[..<end])
    }
}

extension ChatTemplate {
    /// The tokens of `messages` rendered by this template, ending where the assistant's reply begins.
    public func tokens(_ messages: [ChatMessage], tokenizer: any Tokenizer) -> [Int32] {
        tokenizer.encode(prompt(messages), addBOS: true)
    }
}
