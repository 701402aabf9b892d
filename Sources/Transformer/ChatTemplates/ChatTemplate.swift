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
    /// No template (base models): the messages' contents joined by blank lines.
    case plain

    public static let names = ["chatml", "gemma", "llama3", "plain"]

    /// The template a GGUF declares, or nil when its template is not one we recognize.
    public static func detect(jinja: String?) -> ChatTemplate? {
        guard let jinja else { return .plain }
        if jinja.contains("<|im_start|>") { return .chatML(defaultSystem: defaultChatMLSystem(in: jinja)) }
        if jinja.contains("<start_of_turn>") { return .gemma }
        if jinja.contains("<|start_header_id|>") { return .llama3 }
        return nil
    }

    /// A template by name (`--template`).
    public static func named(_ name: String) -> ChatTemplate? {
        switch name {
        case "chatml": .chatML(defaultSystem: nil)
        case "gemma": .gemma
        case "llama3": .llama3
        case "plain": .plain
        default: nil
        }
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

extension ChatTemplate {
    /// The tokens of `messages` rendered by this template, ending where the assistant's reply begins.
    public func tokens(_ messages: [ChatMessage], tokenizer: any Tokenizer) -> [Int32] {
        tokenizer.encode(prompt(messages), addBOS: true)
    }
}
