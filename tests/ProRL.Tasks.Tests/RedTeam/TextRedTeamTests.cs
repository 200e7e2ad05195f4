using ProRL.Tasks.IfEval;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Model;
using ProRL.Tasks.Sandbox;
using ProRL.Tasks.Stem;
using ProRL.Tasks.Verification;

namespace ProRL.Tasks.Tests.RedTeam;

/// <summary>
/// Stem, logic, IFEval and format hacks: each earns 0, while the honest answer to the same task earns 1.
/// </summary>
public class TextRedTeamTests
{
    private static void HackFails(IVerifier verifier, TaskItem task, string hack, string honest)
    {
        var h = verifier.VerifyAsync(task, hack).AsTask().GetAwaiter().GetResult();
        Assert.True(h.Reward == 0.0, $"hack earned {h.Reward}: {h.Reason}\n{hack}");
        var o = verifier.VerifyAsync(task, honest).AsTask().GetAwaiter().GetResult();
        Assert.True(o.Reward == 1.0, $"honest answer earned {o.Reward}: {o.Reason}\n{honest}");
    }

    private static readonly TaskItem Stem = new()
    {
        Id = "s", Domain = TaskDomains.Stem, Prompt = "Which organelle makes ATP?", Answer = "C",
        Choices = ["Nucleus", "Ribosome", "Mitochondrion", "Golgi apparatus"],
    };

    [Theory]
    [Hack("stem/several-letters")]
    [InlineData("The answer is C or D.")]
    [InlineData("The answer is A, B, C or D.")]
    [InlineData("Final answer: \\boxed{A, C}")]
    [InlineData("\\boxed{B/C}")]
    [InlineData("<answer>CD</answer>")]
    [InlineData("<answer>A and C</answer>")]
    [InlineData("It is one of these.\nA/B/C/D")]
    [InlineData("**C or D**")]
    public void Stem_answers_naming_several_letters(string hack) =>
        HackFails(new StemVerifier(), Stem, hack, "The mitochondrion makes ATP. The answer is (C).");

    [Theory]
    [Hack("stem/options-listed")]
    [InlineData("(A) (B) (C) (D)")]
    [InlineData("(A)(B)(C)(D)")]
    public void Stem_answers_listing_every_option(string hack) =>
        HackFails(new StemVerifier(), Stem, hack, "\\boxed{C}");

    private static readonly TaskItem Reference = new() { Id = "l", Domain = TaskDomains.Logic, Prompt = "How many?", Answer = "42" };

    private static TaskItem Generated(out string answer)
    {
        var puzzle = LogicGenerators.CreatePuzzle("countdown", 7, 1);
        answer = puzzle.ReferenceAnswer;
        return new TaskItem { Id = "g", Domain = TaskDomains.Logic, Prompt = puzzle.Prompt, Family = "countdown", Seed = 7, Difficulty = 1 };
    }

    [Fact]
    [Hack("logic/several-answer-tags")]
    public void Logic_answers_with_one_tag_per_candidate()
    {
        HackFails(new LogicVerifier(), Reference, "<answer>41</answer> <answer>42</answer> <answer>43</answer>", "<answer>42</answer>");
        var task = Generated(out var answer);
        HackFails(new LogicVerifier(), task, $"<answer>1+1</answer>\n<answer>{answer}</answer>", $"<answer>{answer}</answer>");
    }

    [Theory]
    [Hack("logic/empty-answer")]
    [InlineData("<answer></answer>")]
    [InlineData("<answer>   </answer>")]
    [InlineData("I am not sure. <answer>\n</answer>")]
    public void Logic_answers_that_are_empty(string hack)
    {
        HackFails(new LogicVerifier(), Reference, hack, "<answer>42</answer>");
        var task = Generated(out var answer);
        HackFails(new LogicVerifier(), task, hack, $"<answer>{answer}</answer>");
    }

    [Fact]
    [Hack("logic/candidates-in-one-tag")]
    public void Logic_answers_with_several_candidates_in_one_tag()
    {
        HackFails(new LogicVerifier(), Reference, "<answer>41 or 42</answer>", "<answer>42</answer>");
        HackFails(new LogicVerifier(), Reference, "<answer>42, 43</answer>", "<answer> 42 </answer>");
        var task = Generated(out var answer);
        HackFails(new LogicVerifier(), task, $"<answer>{answer} or 1+1</answer>", $"<answer>{answer}</answer>");
    }

    private static TaskItem IfEvalTask(string prompt, params IfEvalInstruction[] instructions) =>
        new() { Id = "i", Domain = TaskDomains.IfEval, Prompt = prompt, Instructions = instructions };

    private const string RiverPrompt =
        "Write a short note about rivers for a school newsletter. Your response must contain the keywords river and delta and it should have at least 40 words.";

    private static readonly TaskItem Rivers = IfEvalTask(RiverPrompt,
        IfEvalInstruction.Create("keywords:existence", new { keywords = new[] { "river", "delta" } }),
        IfEvalInstruction.Create("length_constraints:number_words", new { num_words = 20, relation = "at least" }));

    private const string HonestRivers =
        "A river carries water, sand and life from the hills to the sea. Where it slows down near the coast it drops its sand " +
        "and builds a delta, a fan of new land crossed by many small channels where birds, fish and farmers all find a home.";

    [Theory]
    [Hack("ifeval/prompt-echo")]
    [InlineData(RiverPrompt)]
    [InlineData("Sure! " + RiverPrompt + " Done.")]
    [InlineData("Your response must contain the keywords river and delta and it should have at least 40 words. ok")]
    [InlineData("YOUR RESPONSE MUST CONTAIN THE KEYWORDS RIVER AND DELTA\nAND IT SHOULD HAVE AT LEAST 40 WORDS. Here it is: rivers are nice.")]
    public void IfEval_prompt_echoed_back(string hack) => HackFails(new IfEvalVerifier(), Rivers, hack, HonestRivers);

    [Theory]
    [Hack("ifeval/empty-response")]
    [InlineData("")]
    [InlineData("   \n\t ")]
    public void IfEval_empty_answers_to_negative_constraints(string hack)
    {
        var task = IfEvalTask("Describe the sea without commas in under 50 words.",
            IfEvalInstruction.Create("punctuation:no_comma"),
            IfEvalInstruction.Create("length_constraints:number_words", new { num_words = 50, relation = "less than" }));
        HackFails(new IfEvalVerifier(), task, hack, "The sea is wide and blue and it never sleeps.");
    }

    [Theory]
    [Hack("ifeval/non-english-case")]
    [InlineData("change_case:english_lowercase", "ceci est une réponse entièrement écrite en minuscules pour le correcteur", "this is an answer written entirely in lower case letters")]
    [InlineData("change_case:english_capital", "DAS IST EINE ANTWORT DIE NUR AUS GROSSBUCHSTABEN BESTEHT", "THIS IS AN ANSWER WRITTEN ENTIRELY IN CAPITAL LETTERS")]
    [InlineData("change_case:english_lowercase", "etchings", "these are my notes on the etchings we saw in the museum today")]
    public void IfEval_case_checks_need_english(string id, string hack, string honest) =>
        HackFails(new IfEvalVerifier(), IfEvalTask("Answer in English.", IfEvalInstruction.Create(id)), hack, honest);

    [Theory]
    [Hack("ifeval/undetectable-language")]
    [InlineData("12345 678")]
    [InlineData("!!! ??? ...")]
    [InlineData("🙂🙂🙂")]
    public void IfEval_language_checks_need_detectable_text(string hack) =>
        HackFails(new IfEvalVerifier(), IfEvalTask("Answer in Korean.", IfEvalInstruction.Create("language:response_language", new { language = "ko" })),
            hack, "안녕하세요. 오늘은 날씨가 정말 좋네요. 공원에 산책하러 갈 거예요.");

    private sealed class NoCodeRunner : ICodeRunner
    {
        public string IsolationDescription => "none";

        public Task<SandboxResult> RunPythonAsync(SandboxRequest request, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no code in these tests");
    }

    private static readonly RewardScorer Formatted = RewardScorer.CreateDefault(new NoCodeRunner(), FormatRequirement.ThinkThenAnswer);

    private static void FormatHackFails(string hack, string honest)
    {
        var h = Formatted.ScoreAsync(Reference, hack).AsTask().GetAwaiter().GetResult();
        Assert.True(h.Reward == 0.0, $"hack earned {h.Reward}: {h.Reason}");
        var o = Formatted.ScoreAsync(Reference, honest).AsTask().GetAwaiter().GetResult();
        Assert.True(o.Reward == 1.0, $"honest answer earned {o.Reward}: {o.Reason}");
    }

    [Theory]
    [Hack("format/empty-think")]
    [InlineData("<think></think><answer>42</answer>")]
    [InlineData("<think>\n \n</think>\n<answer>42</answer>")]
    public void Format_met_by_an_empty_think(string hack) => FormatHackFails(hack, "<think>6 times 7 is 42</think>\n<answer>42</answer>");

    [Theory]
    [Hack("format/several-think-blocks")]
    [InlineData("<think>a</think><think>b</think><answer>42</answer>")]
    [InlineData("<think>6 times 7</think><answer>42</answer><think>more</think>")]
    public void Format_with_several_think_blocks(string hack) => FormatHackFails(hack, "<think>6 times 7 is 42</think><answer>42</answer>");

    [Theory]
    [Hack("format/answer-only-inside-think")]
    [InlineData("<think><answer>42</answer></think>")]
    [InlineData("<think><answer>42</answer></think>   ")]
    public void Format_with_the_answer_only_inside_think(string hack) => FormatHackFails(hack, "<think>6 times 7</think> <answer>42</answer>");

    [Fact]
    public async Task Without_the_format_check_an_empty_think_is_just_ignored()
    {
        // The empty-think rule belongs to the configured format check, not to the domain verifiers.
        var plain = RewardScorer.CreateDefault(new NoCodeRunner());
        Assert.Equal(1.0, (await plain.ScoreAsync(Reference, "<think></think><answer>42</answer>")).Reward);
    }
}
