using ProRL.Tasks.Mathematics;

namespace ProRL.Tasks.Tests.Mathematics;

/// <summary>Extraction (issue 12, item 1): each rule of the documented priority, and what the fallback never reads.</summary>
public class MathExtractionTests
{
    private static (string? Answer, MathExtractionRule? Rule) Extract(string response, int referenceItems = 1) =>
        MathExtractor.Extract(response, MathExtraction.All, referenceItems) is { } r ? (r.Answer, r.Rule) : (null, null);

    [Theory]
    [InlineData("First \\boxed{3}, then corrected: \\boxed{4}", "4")]
    [InlineData("\\fbox{7}", "7")]
    [InlineData("so $x = \\boxed{\\frac{1}{2}}$.", "\\frac{1}{2}")]
    [InlineData("\\boxed{1} and \\boxed{2}", "1, 2")]
    [InlineData("\\boxed{ unfinished, so \\boxed{5}", "5")]
    [InlineData("$\\boxed{1}$, $\\boxed{2}$", "1, 2")]
    public void The_last_box_wins_with_the_boxes_that_only_separators_divide_from_it(string response, string expected)
    {
        var (answer, rule) = Extract(response);
        Assert.Equal(expected, answer);
        Assert.Equal(MathExtractionRule.Boxed, rule);
    }

    [Fact]
    public void A_list_reference_takes_as_many_boxes_as_it_lists()
    {
        const string response = "Part (a): \\boxed{(3, 3)}, and for part (b) we get \\boxed{(1, 1)}";
        Assert.Equal("(1, 1)", Extract(response).Answer);
        Assert.Equal("(3, 3), (1, 1)", Extract(response, referenceItems: 2).Answer);
    }

    [Theory]
    [InlineData("So \\boxed{255}. Final Answer: The final answer is $10,455$. I hope it is correct.", "10,455", MathExtractionRule.FinalAnswerStatement)]
    [InlineData("Final Answer: The final answer is $(0, 1)$. I hope it is correct. <|im_start|>user", "(0, 1)", MathExtractionRule.FinalAnswerStatement)]
    [InlineData("The final answer is 42. Then more text 7.", "42", MathExtractionRule.FinalAnswerStatement)]
    [InlineData("Final answer is $\\frac{1}{2}$ because the rest is 9", "\\frac{1}{2}", MathExtractionRule.FinalAnswerStatement)]
    [InlineData("The final answer is \\\"$12 $ and $13 $\\\". I hope it is correct.", "12, 13", MathExtractionRule.FinalAnswerStatement)]
    [InlineData("Answer: x = 3", "x = 3", MathExtractionRule.AnswerPhrase)]
    [InlineData("Answer: 5. Next we check 6.", "5", MathExtractionRule.AnswerPhrase)]
    [InlineData("Final Answer: The volume of $ABCD$ is 120. I hope it is correct.", "120", MathExtractionRule.AnswerPhrase)]
    [InlineData("Final Answer: Jane started growing Sphere 3 hours ago.", "3", MathExtractionRule.AnswerPhrase)]
    public void A_final_answer_phrase_stops_at_the_sentence_or_span_end(string response, string expected, MathExtractionRule rule)
    {
        var (answer, got) = Extract(response);
        Assert.Equal(expected, answer);
        Assert.Equal(rule, got);
    }

    [Theory]
    [InlineData("We get $\\dfrac{1}{3}$", "\\dfrac{1}{3}")]
    [InlineData("The result is \\(\\frac{10}{9}\\) here", "\\frac{10}{9}")]
    [InlineData("Thus \\[ 9 \\]", "9")]
    [InlineData("Thus $$ \\sqrt{2} $$", "\\sqrt{2}")]
    [InlineData("Therefore $x \\geq 5$ is the solution.", "x \\geq 5")]
    [InlineData("roots $-2$ and $1$", "-2, 1")]
    [InlineData("$42$ and $\\sum_{k=0}^n\\bigl(k\\bigr)$", "42")]
    [InlineData("costs 1,000.99$ in total", null)]
    public void The_last_readable_math_span_is_read_whole(string response, string? expected)
    {
        var (answer, rule) = Extract(response);
        if (expected is null) { Assert.NotEqual(MathExtractionRule.MathSpan, rule); return; }
        Assert.Equal(expected, answer);
        Assert.Equal(MathExtractionRule.MathSpan, rule);
    }

    [Theory]
    [InlineData("we get 5 apples and then 7 pears", "7")]
    [InlineData("total 1,234 items", "1234")]
    [InlineData("the number is not 10 which is 1,000.99€", "1000.99")]
    [InlineData("Soucis : 2,74 $ a..", "2.74")]
    [InlineData("it is .4", "0.4")]
    [InlineData("1 000", "1000")]
    [InlineData("The result: 4 4/9", "(4+4/9)")]
    [InlineData("The result: -4 4/9", "-(4+4/9)")]
    [InlineData("The result: 1 000 4/9", "(1000+4/9)")]
    [InlineData("4 4/9%", "((4+4/9))/100")]
    [InlineData("11 + 4/9", "11+4/9")]
    [InlineData("probability is 2/3. <|im_start|>user", "2/3")]
    [InlineData("4 4/9 2", "2")]
    [InlineData("11 6", "6")]
    public void The_plain_number_fallback_reads_whole_numbers(string response, string expected)
    {
        var (answer, rule) = Extract(response);
        Assert.Equal(expected, answer);
        Assert.Equal(MathExtractionRule.PlainNumber, rule);
    }

    [Theory]
    [InlineData("AZYUK2A")]
    [InlineData("(1+sqrt(5))/2")]
    [InlineData("the interval (0, 1)")]
    [InlineData("x_2 and y^3")]
    public void The_fallback_never_reads_inside_a_word_fraction_root_or_interval(string response) =>
        Assert.Null(Extract(response).Answer);

    [Fact]
    public void The_fallback_is_not_used_when_the_response_holds_a_readable_math_span()
    {
        var (answer, rule) = Extract("Let $y = 2$ and so there are 12 ways");
        Assert.Equal("y = 2", answer);
        Assert.Equal(MathExtractionRule.MathSpan, rule);
        // An unreadable span does not count: the number after it is read.
        Assert.Equal("42", Extract("Final answer is $\\sum_{k=0}^n\\bigl(k\\bigr)$. I hope. 42").Answer);
    }

    [Fact]
    public void Extraction_rules_can_be_switched_off()
    {
        Assert.Null(MathExtractor.Extract("the result is 5", MathExtraction.Boxed));
        Assert.Equal("5", MathExtractor.Extract("the result is 5", MathExtraction.Boxed | MathExtraction.LastNumber)?.Answer);
        Assert.Equal("9", MathExtractor.Extract("final answer is 9\n\\boxed{8}", MathExtraction.FinalAnswerPhrase)?.Answer);
        Assert.Null(MathExtractor.Extract("so $7$", MathExtraction.Boxed | MathExtraction.LastNumber));
    }
}
