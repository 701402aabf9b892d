import Foundation
import Testing
@testable import Transformer

private struct TemplateFixtures: Decodable {
    struct Case: Decodable {
        let messages: [ChatMessage]
        let add_generation_prompt: Bool
        let text: String
    }
    struct Model: Decodable { let cases: [String: Case] }
    let models: [String: Model]
}

@Test(arguments: ["qwen2.5-1.5b", "qwen2.5-0.5b", "smollm2-135m"])
func chatTemplateMatchesJinjaRendering(model: String) throws {
    let fixtures = try JSONDecoder().decode(TemplateFixtures.self, from: try TestSupport.fixture("chat/templates.json"))
    let gguf = try GGUFFile(path: try TestSupport.modelPath(model))
    let template = try #require(ChatTemplate.detect(jinja: try gguf.optionalString("tokenizer.chat_template")))
    let cases = try #require(fixtures.models[model]).cases
    #expect(cases.count >= 8)
    for (name, reference) in cases.sorted(by: { $0.key < $1.key }) {
        #expect(template.render(reference.messages, addGenerationPrompt: reference.add_generation_prompt) == reference.text, "\(model) \(name)")
    }
}

@Test func templateDetection() {
    #expect(ChatTemplate.detect(jinja: nil) == .plain)
    #expect(ChatTemplate.detect(jinja: "{{ '<start_of_turn>' + role }}") == .gemma)
    #expect(ChatTemplate.detect(jinja: "<|start_header_id|>") == .llama3)
    #expect(ChatTemplate.detect(jinja: "{% for m in messages %}[INST]{% endfor %}") == nil)
    #expect(ChatTemplate.named("chatml") == .chatML(defaultSystem: nil))
    #expect(ChatTemplate.named("nonsense") == nil)
}

@Test func gemmaPrefixesSystemToFirstUserTurn() {
    let text = ChatTemplate.gemma.render([.init(role: .system, content: "Be brief."), .init(role: .user, content: " Hi \n")])
    #expect(text == "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n")
}
