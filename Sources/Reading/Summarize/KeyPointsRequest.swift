import Transformer

/// The summary-like workload of `llmrun bench --article`: one chat turn that holds a whole article and asks for
/// its key points in its own language, as a plain one-prompt summarizer would ask. The answer repeats the
/// article's names, numbers and phrases, which is what drafting by prompt lookup counts on.
public enum KeyPointsRequest {
    public static func messages(article: String) -> [ChatMessage] {
        let request = switch TextLanguage.detect(article) {
        case .simplifiedChinese: "用中文列出这篇文章的要点。"
        case .traditionalChinese: "用中文列出這篇文章的要點。"
        case .english: "List the key points of this article."
        }
        return [ChatMessage(role: .user, content: article + "\n\n" + request)]
    }
}
