using ProRL.Rollout.Engine;
using ProRL.TestSupport;

namespace ProRL.Rollout.Tests;

public class ChatTemplateTests(TinyModelFixture tiny) : IClassFixture<TinyModelFixture>
{
    private static readonly ChatMessage[] Conversation = [new("system", "Be brief."), new("user", "How many r in strawberry?")];

    [Fact]
    public void Auto_uses_the_exports_own_template_when_it_has_one()
    {
        // The generated model's tokenizer_config.json carries a ChatML template.
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", tiny.Engine.RenderPrompt(RolloutPrompt.User("Hi")));
    }

    [Fact]
    public void Auto_feeds_raw_text_to_an_export_without_a_chat_template_instead_of_GenAIs_model_type_fallback()
    {
        var copy = tiny.Scratch.Sub("no-template-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(tiny.Folder.Directory)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var configPath = Path.Combine(copy, "tokenizer_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        Assert.True(config.Remove("chat_template"));
        File.WriteAllText(configPath, config.ToJsonString());

        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = copy });
        Assert.Equal("How many r in strawberry?", engine.RenderPrompt(RolloutPrompt.User("How many r in strawberry?")));
        Assert.Equal("Be brief.\n\nHow many r in strawberry?", engine.RenderPrompt(RolloutPrompt.Chat(Conversation)));
    }

    [Fact]
    public void A_real_Llama_exports_own_template_is_applied_by_GenAI()
    {
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = SharedFixtures.Path(SharedFixtures.LlamaFp16Mha) });
        Assert.Equal("<s>[INST] How many r in strawberry? [/INST]", engine.RenderPrompt(RolloutPrompt.User("How many r in strawberry?")));
    }

    [Fact]
    public void Named_templates_render_the_documented_formats_whatever_the_export_carries()
    {
        Assert.Equal("Be brief.\n\nHow many r in strawberry?", Render("none"));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHow many r in strawberry?<|im_end|>\n<|im_start|>assistant\n",
            Render("ChatML"));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nHow many r in strawberry?<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n", Render("llama3"));
    }

    [Fact]
    public void A_template_file_is_rendered_by_GenAI_and_a_missing_one_is_refused_before_loading()
    {
        var file = Path.Combine(tiny.Scratch.Sub("template"), "t.jinja");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}");
        Assert.Equal("[system] Be brief.\n[user] How many r in strawberry?\n[assistant] ", Render(file));

        var missing = Path.Combine(tiny.Scratch.Sub("template"), "missing.jinja");
        var e = Assert.Throws<FileNotFoundException>(() => Render(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("chatml", e.Message);
    }

    private string Render(string template)
    {
        using var engine = new RolloutEngine(new RolloutEngineOptions { ModelPath = tiny.Folder.Directory, ChatTemplate = template });
        return engine.RenderPrompt(RolloutPrompt.Chat(Conversation));
    }
}
