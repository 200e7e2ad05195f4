using ProRL.Tasks.IfEval;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.IfEval;

public class IfEvalVerifierTests
{
    private static bool Follows(string id, object? args, string response) =>
        IfEvalVerifier.Check(IfEvalInstruction.Create(id, args), response).Strict;

    public static TheoryData<string, string?, string, string> Cases => new()
    {
        // id, kwargs as JSON, a response that follows, a response that does not
        { "punctuation:no_comma", null, "no commas here", "one, two" },
        { "length_constraints:number_words", """{"num_words": 5, "relation": "at least"}""", "one two three four five", "one two three four" },
        { "length_constraints:number_words", """{"num_words": 3, "relation": "less than"}""", "two words", "three words here" },
        { "length_constraints:number_sentences", """{"num_sentences": 3, "relation": "less than"}""", "One. Two!", "One. Two! Three?" },
        { "length_constraints:number_paragraphs", """{"num_paragraphs": 2}""", "first part\n***\nsecond part", "only one paragraph" },
        { "length_constraints:nth_paragraph_first_word", """{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "water"}""",
            "Rivers flow.\n\nWater, it is wet.", "Rivers flow.\n\nStone is hard." },
        { "keywords:existence", """{"keywords": ["taste", "smell"]}""", "The Taste and the smell.", "Only the taste." },
        { "keywords:forbidden_words", """{"forbidden_words": ["lazy"]}""", "An active day.", "A Lazy day." },
        { "keywords:frequency", """{"keyword": "leaf", "frequency": 3, "relation": "at least"}""", "leaf Leaf LEAF", "leaf leaf" },
        { "keywords:letter_frequency", """{"letter": "z", "let_frequency": 2, "let_relation": "at least"}""", "Zebra zone", "zebra" },
        { "detectable_format:json_format", null, "```json\n{\"a\": 1}\n```", "{a: 1}" },
        { "detectable_format:number_bullet_lists", """{"num_bullets": 2}""", "* one\n* two", "* one\n* two\n- three" },
        { "detectable_format:number_highlighted_sections", """{"num_highlights": 2}""", "*one* and *two*", "*one* only" },
        { "detectable_format:multiple_sections", """{"section_spliter": "SECTION", "num_sections": 2}""", "SECTION 1\na\nSECTION 2\nb", "SECTION 1\na" },
        { "detectable_format:title", null, "<<My Poem>>\nroses", "My Poem\nroses" },
        { "detectable_format:constrained_response", null, "My answer is yes.", "Yes." },
        { "change_case:english_lowercase", null, "this answer is written in lower case", "This answer is Not all lower case" },
        { "change_case:english_capital", null, "THIS ANSWER IS IN CAPITAL LETTERS", "THIS ANSWER IS IN CAPITAL letters" },
        { "change_case:capital_word_frequency", """{"capital_frequency": 2, "capital_relation": "less than"}""", "ONE capital word", "TWO CAPITAL words" },
        { "startend:end_checker", """{"end_phrase": "Any other questions?"}""", "Text. Any other questions?", "Any other questions? Text." },
        { "startend:quotation", null, "\"wrapped\"", "not \"wrapped\"" },
        { "detectable_content:number_placeholders", """{"num_placeholders": 2}""", "Dear [name], at [address]", "Dear [name]" },
        { "detectable_content:postscript", """{"postscript_marker": "P.S."}""", "Hello.\nP.S. see you", "Hello. No postscript." },
        { "detectable_content:postscript", """{"postscript_marker": "P.P.S"}""", "Hi\nP.P.S more", "Hi\nP.S. more" },
        { "combination:two_responses", null, "first answer\n******\nsecond answer", "same\n******\nsame" },
        { "language:response_language", """{"language": "fr"}""", "Nous sommes allés au marché ce matin pour acheter du pain.", "We went to the market this morning to buy bread." },
        { "language:response_language", """{"language": "kn"}""", "ಹೌದು, ಹ್ಯಾಂಬರ್ಗರ್ಗಳು ಸ್ಯಾಂಡ್ವಿಚ್ಗಳು.", "12345" },
        { "length_constraints:number_sentences", """{"num_sentences": 3, "relation": "less than"}""", "1. apples are red.\n2. pears are green.", "One. Two. Three." },
        { "combination:repeat_prompt", """{"prompt_to_repeat": "Name a fruit."}""", "Name a fruit. Apple.", "Apple. Name a fruit." },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_instruction_accepts_a_following_response_and_rejects_a_violating_one(string id, string? kwargs, string good, string bad)
    {
        object? args = kwargs is null ? null : System.Text.Json.JsonDocument.Parse(kwargs).RootElement;
        Assert.True(Follows(id, args, good), $"{id} rejected: {good}");
        Assert.False(Follows(id, args, bad), $"{id} accepted: {bad}");
    }

    [Fact]
    public void At_least_twenty_instruction_types_are_supported() =>
        Assert.True(IfEvalInstructions.Checkers.Count >= 25, $"{IfEvalInstructions.Checkers.Count}");

    [Fact]
    public void Loose_scoring_forgives_a_preamble_line_and_markdown_asterisks()
    {
        var instruction = IfEvalInstruction.Create("startend:quotation");
        var outcome = IfEvalVerifier.Check(instruction, "Sure, here it is:\n\"wrapped\"");
        Assert.False(outcome.Strict);
        Assert.True(outcome.Loose);
        var title = IfEvalVerifier.Check(IfEvalInstruction.Create("change_case:english_lowercase"), "**Title**\nthis is all in lower case");
        Assert.False(title.Strict);
        Assert.True(title.Loose);
    }

    private static TaskItem Task(params IfEvalInstruction[] instructions) =>
        new() { Id = "i", Domain = TaskDomains.IfEval, Prompt = "p", Instructions = instructions };

    [Fact]
    public void Reward_is_all_or_nothing_strict_with_the_fraction_reported()
    {
        var task = Task(IfEvalInstruction.Create("punctuation:no_comma"), IfEvalInstruction.Create("change_case:english_lowercase"),
            IfEvalInstruction.Create("length_constraints:number_words", new { num_words = 100, relation = "at least" }));
        var result = new IfEvalVerifier().Verify(task, "short and lower");
        Assert.Equal(0.0, result.Reward);
        Assert.Equal(2.0 / 3.0, result.Fraction!.Value, 9);
        Assert.Contains("number_words", result.Reason);
        Assert.Equal(2.0 / 3.0, new IfEvalVerifier(IfEvalReward.FractionStrict).Verify(task, "short and lower").Reward, 9);
        Assert.Equal(1.0, new IfEvalVerifier().Verify(Task(IfEvalInstruction.Create("punctuation:no_comma")), "fine").Reward);
    }

    [Fact]
    public void Unsupported_ids_and_bad_kwargs_fail_the_instruction_with_a_reason_instead_of_throwing()
    {
        var unsupported = IfEvalVerifier.Check(IfEvalInstruction.Create("language:made_up", new { language = "fr" }), "bonjour");
        Assert.False(unsupported.Strict);
        Assert.Equal("unsupported instruction", unsupported.Problem);
        var bad = IfEvalVerifier.Check(IfEvalInstruction.Create("length_constraints:number_words", new { num_words = "many" }), "x");
        Assert.False(bad.Loose);
        Assert.Contains("num_words", bad.Problem);
        var badRelation = IfEvalVerifier.Check(IfEvalInstruction.Create("length_constraints:number_words", new { num_words = 1, relation = "around" }), "x");
        Assert.Contains("relation", badRelation.Problem);
    }

    [Fact]
    public void An_empty_response_follows_nothing() =>
        Assert.False(IfEvalVerifier.Check(IfEvalInstruction.Create("punctuation:no_comma"), "   ").Loose);
}
