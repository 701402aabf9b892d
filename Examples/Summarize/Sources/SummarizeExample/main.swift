import Foundation
import ModelStore
import Reading
import Transformer

// Usage: SummarizeExample [MODEL] [ARTICLE]: a completion, then a summary of the article.
let arguments = CommandLine.arguments.dropFirst()
let modelName = arguments.first ?? "qwen2.5-0.5b"
let store = ModelStore(catalog: try ModelCatalog.bundled())
let runtime = try ModelRuntime(path: try store.resolve(modelName).path)  // pulls a catalog model on first use
let session = try runtime.makeSession(threads: physicalCoreCount)

// A completion of a plain prompt.
let generator = TextGenerator(session: session, tokenizer: runtime.tokenizer)
var options = GenerationOptions()
options.maxTokens = 24
let completion = try generator.generate(prompt: runtime.tokenize("The capital of France is"), options: options)
print("completion:", completion.text)

// A summary of an article, each point citing its sentences.
let article = try Article.load(path: arguments.dropFirst().first ?? "../../samples/sample-zh.txt")
let template = try ChatTemplate.resolve(for: runtime.gguf, override: nil)
let summary = try Summarizer(runtime: runtime, session: session, template: template)
    .summarize(sentences: article.sentenceTexts, length: .short, language: article.language)
print(summary.text)
