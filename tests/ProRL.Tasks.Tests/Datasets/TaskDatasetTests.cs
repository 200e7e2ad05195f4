using Parquet.Serialization;
using ProRL.Tasks.Datasets;
using ProRL.Tasks.Logic;
using ProRL.Tasks.Mathematics;
using ProRL.Tasks.Model;

namespace ProRL.Tasks.Tests.Datasets;

public sealed class TaskDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prorl-datasets-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Malformed_rows_are_skipped_counted_and_reported_with_file_and_line()
    {
        var path = Write("mixed.jsonl",
            """{"id": "a", "domain": "math", "prompt": "1+1?", "answer": "2"}""",
            "",
            "{not json",
            """{"domain": "math", "prompt": "no answer"}""",
            """{"domain": "astrology", "prompt": "p", "answer": "x"}""",
            """{"domain": "code", "prompt": "p", "tests": "not a list"}""",
            """["an", "array"]""",
            """{"domain": "stem", "question": "Q?", "choices": ["x", "y"], "answer": 1}""");
        var reported = new List<SkippedRow>();
        var dataset = TaskDataset.LoadJsonl(path, onSkipped: reported.Add);
        Assert.Equal(["a", "mixed-8"], dataset.Items.Select(i => i.Id));
        Assert.Equal([3L, 4, 5, 6, 7], dataset.Skipped.Select(s => s.Row));
        Assert.Equal(dataset.Skipped, reported);
        Assert.All(dataset.Skipped, s => Assert.Equal(path, s.File));
        Assert.Contains("needs 'answer'", dataset.Skipped[1].Reason);
        Assert.Contains("astrology", dataset.Skipped[2].Reason);
        Assert.Equal("B", dataset.Items[1].Answer); // a numeric stem answer indexes the choices
        Assert.StartsWith(path + ":3:", dataset.Skipped[0].ToString());
    }

    [Fact]
    public void Common_public_layouts_are_mapped()
    {
        var path = Write("public.jsonl",
            """{"problem": "What is 2+2?", "solution": "We add. \\boxed{4}", "domain": "math"}""",
            """{"prompt": [{"role": "system", "content": "sys"}, {"role": "user", "content": "Q"}], "reward_model": {"ground_truth": "7"}, "data_source": "gsm8k", "domain": "math"}""",
            """{"question": "Sum?", "input_output": "{\"inputs\": [\"1 2\\n\"], \"outputs\": [\"3\\n\"]}"}""",
            """{"prompt": "Write", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}""",
            """{"prompt": "p", "tests": ["assert f() == 1"], "domain": "code"}""");
        var dataset = TaskDataset.LoadJsonl(path);
        Assert.Empty(dataset.Skipped);
        Assert.Equal("4", dataset.Items[0].Answer);
        Assert.Equal("Q", dataset.Items[1].Prompt);
        Assert.Equal("7", dataset.Items[1].Answer);
        Assert.Equal("gsm8k", dataset.Items[1].Metadata["data_source"]);
        Assert.Equal(TaskDomains.Code, dataset.Items[2].Domain);
        Assert.Equal(CodeTest.StdIo("1 2\n", "3\n"), dataset.Items[2].Tests!.Single());
        Assert.Equal(TaskDomains.IfEval, dataset.Items[3].Domain);
        Assert.True(dataset.Items[4].Tests!.Single().IsAssert);
    }

    [Fact]
    public void A_task_survives_a_json_round_trip()
    {
        var tasks = new[]
        {
            LogicGenerators.Generate("maze_shortest_path", 3, 2),
            ArithmeticGenerator.Generate(4, 3),
            SampleSets.Load(TaskDomains.IfEval)[0],
            SampleSets.Load(TaskDomains.Code).First(t => !t.Tests![0].IsAssert),
            SampleSets.Load(TaskDomains.Stem)[0],
        };
        var path = Write("roundtrip.jsonl", tasks.Select(TaskJson.ToJsonLine).ToArray());
        var loaded = TaskDataset.LoadJsonl(path).Items;
        for (var i = 0; i < tasks.Length; i++)
            Assert.Equal(TaskJson.ToJsonLine(tasks[i]), TaskJson.ToJsonLine(loaded[i]));
    }

    public sealed class MathRow
    {
        public string? problem { get; set; }
        public string? solution { get; set; }
        public string? domain { get; set; }
    }

    public sealed class CodeRow
    {
        public string? prompt { get; set; }
        public List<string>? tests { get; set; }
        public string? domain { get; set; }
    }

    [Fact]
    public async Task Parquet_files_load_with_the_same_mapping_and_skip_reporting()
    {
        var mathPath = Path.Combine(_dir, "math.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new MathRow { problem = "1/2 + 1/2?", solution = "\\boxed{1}", domain = "math" },
            new MathRow { problem = null, solution = "\\boxed{2}", domain = "math" },
            new MathRow { problem = "3?", solution = "\\boxed{3}", domain = "math" },
        }, mathPath);
        var math = await TaskDataset.LoadAsync(mathPath);
        Assert.Equal(["1", "3"], math.Items.Select(i => i.Answer));
        Assert.Equal(2, math.Skipped.Single().Row);
        Assert.Contains("no prompt", math.Skipped.Single().Reason);

        var codePath = Path.Combine(_dir, "code.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new CodeRow { prompt = "f", tests = ["assert f() == 1", "assert f() > 0"], domain = "code" } }, codePath);
        var code = await TaskDataset.LoadAsync(codePath);
        Assert.Equal(["assert f() == 1", "assert f() > 0"], code.Items.Single().Tests!.Select(t => t.Assert));
    }

    [Fact]
    public async Task Unknown_extensions_and_missing_files_are_named_in_the_error()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => TaskDataset.LoadAsync(Write("data.csv", "a,b")));
        Assert.Contains("data.csv", ex.Message);
        var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => TaskDataset.LoadAsync(Path.Combine(_dir, "nope.jsonl")));
        Assert.Contains("nope.jsonl", missing.Message);
    }
}
