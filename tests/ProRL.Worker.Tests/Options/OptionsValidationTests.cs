using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ProRL.Worker.Options;

namespace ProRL.Worker.Tests.Options;

/// <summary>One test per class of invalid configuration; each asserts that the host refuses to start and names the option.</summary>
public sealed class OptionsValidationTests : IDisposable
{
    private readonly WorkerHostHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private async Task<string> SingleProblem(params string[] args) => Assert.Single(await _harness.StartProblems(args));

    [Fact]
    public async Task Valid_configuration_starts_with_the_design_defaults()
    {
        Assert.Empty(await _harness.StartProblems());
        using var host = _harness.Build();
        var algorithm = host.Services.GetRequiredService<IOptions<AlgorithmOptions>>().Value;
        Assert.Equal((0.2, 0.4, "k3", 1e-4, "grpo", 4), (algorithm.ClipLow, algorithm.ClipHigh, algorithm.KlEstimator, algorithm.KlCoef, algorithm.Advantage, algorithm.MiniBatches));
        var rollout = host.Services.GetRequiredService<IOptions<RolloutOptions>>().Value;
        Assert.Equal((16, 1.2, 0), (rollout.SamplesPerPrompt, rollout.Temperature, rollout.MaxPolicyLag));
        var optimizer = host.Services.GetRequiredService<IOptions<OptimizerOptions>>().Value;
        Assert.Equal((2e-6, 0.01, 1.0), (optimizer.Lr, optimizer.WeightDecay, optimizer.GradClip));
        var validation = host.Services.GetRequiredService<IOptions<ValidationOptions>>().Value;
        Assert.Equal((0.6, 0.95), (validation.Temperature, validation.TopP));
        Assert.Equal([1, 8], validation.EffectivePassAtK);
    }

    [Theory]
    [InlineData("Algorithm:ClipLow", "1.5", "between 0 and 1")]
    [InlineData("Algorithm:ClipHigh", "12", "between 0 and 10")]
    [InlineData("Rollout:SamplesPerPrompt", "1", "between 2 and 1024")]
    [InlineData("Rollout:Temperature", "0", "between 0 exclusive")]
    [InlineData("Optimizer:Lr", "-1", "Optimizer:Lr")]
    [InlineData("Shutdown:GracePeriodSeconds", "0", "between 1 and 3600")]
    [InlineData("Rollout:BatchSize", "64", "between 1 and 32")]
    public async Task Out_of_range_value_is_refused_naming_the_option_and_its_range(string option, string value, string expected)
    {
        var problem = await SingleProblem($"--{option}={value}");
        Assert.Contains(option, problem);
        Assert.Contains(expected, problem);
        Assert.Contains($"Got {value}", problem);
    }

    [Theory]
    [InlineData("Algorithm:KlEstimator", "k4", "k1, k2, k3, none")]
    [InlineData("Algorithm:Advantage", "ppo", "grpo, dr-grpo, reinforce++-baseline, rloo")]
    [InlineData("Algorithm:LossAggregation", "sum", "token-mean, seq-mean-token-mean, seq-mean-token-sum-norm")]
    [InlineData("Model:ExecutionProvider", "rocm", "cpu, cuda")]
    [InlineData("Training:Recompute", "blocks", "none, layers")]
    [InlineData("Training:MemoryArena", "per-graph", "shared, off")]
    public async Task Value_outside_an_enumeration_is_refused_listing_the_allowed_values(string option, string value, string allowed)
    {
        var problem = await SingleProblem($"--{option}={value}");
        Assert.Contains(option, problem);
        Assert.Contains(allowed, problem);
    }

    [Fact]
    public async Task Enumerations_accept_any_letter_case() => Assert.Empty(await _harness.StartProblems("--Algorithm:KlEstimator=K1"));

    [Theory]
    [InlineData("Model:Path")]
    [InlineData("Run:Directory")]
    [InlineData("Sandbox:PythonPath")]
    public async Task Missing_required_value_is_refused_naming_the_option(string option)
    {
        var problems = await _harness.StartProblems($"--{option}=");
        Assert.Contains(problems, p => p.Contains(option) && p.Contains("required"));
    }

    [Fact]
    public async Task Model_path_without_a_model_is_refused_unless_one_may_be_created()
    {
        var missing = _harness.Combine("no-model-here");
        var problem = await SingleProblem($"--Model:Path={missing}");
        Assert.Contains("Model:Path", problem);
        Assert.Contains("genai_config.json", problem);
        Assert.Empty(await _harness.StartProblems($"--Model:Path={missing}", "--Model:CreateIfMissing=tiny"));
    }

    [Fact]
    public async Task Missing_dataset_file_is_refused_naming_its_option_path()
    {
        var problem = await SingleProblem($"--Tasks:Datasets:0:Path={_harness.Combine("absent.jsonl")}");
        Assert.Contains("Tasks:Datasets:0:Path", problem);
        Assert.Contains("does not exist", problem);
    }

    [Fact]
    public async Task Dataset_of_an_unknown_format_is_refused_listing_the_formats()
    {
        var file = _harness.Combine("data.csv");
        File.WriteAllText(file, "a,b");
        var problem = await SingleProblem($"--Tasks:Datasets:0:Path={file}");
        Assert.Contains(".jsonl, .json, .parquet", problem);
    }

    [Fact]
    public async Task Nested_list_items_are_validated_by_their_annotations()
    {
        var file = _harness.Combine("data.jsonl");
        File.WriteAllText(file, "{}");
        var problem = await SingleProblem($"--Tasks:Datasets:0:Path={file}", "--Tasks:Datasets:0:Weight=-2");
        Assert.Contains("Tasks:Datasets:0:Weight", problem);
    }

    [Fact]
    public async Task Clip_high_below_clip_low_is_refused_naming_both()
    {
        var problem = await SingleProblem("--Algorithm:ClipLow=0.3", "--Algorithm:ClipHigh=0.1");
        Assert.Contains("Algorithm:ClipHigh", problem);
        Assert.Contains("Algorithm:ClipLow", problem);
    }

    [Fact]
    public async Task Asynchronous_rollouts_are_refused_as_not_implemented()
    {
        var problem = await SingleProblem("--Rollout:MaxPolicyLag=2");
        Assert.Contains("Rollout:MaxPolicyLag", problem);
        Assert.Contains("not implemented", problem);
    }

    [Fact]
    public async Task Kl_coefficient_without_an_estimator_is_refused()
    {
        var problem = await SingleProblem("--Algorithm:KlEstimator=none");
        Assert.Contains("Algorithm:KlCoef", problem);
        Assert.Empty(await _harness.StartProblems("--Algorithm:KlEstimator=none", "--Algorithm:KlCoef=0"));
    }

    [Fact]
    public async Task All_services_off_is_refused()
    {
        var problem = await SingleProblem("--Services:Rollout=false", "--Services:Reward=false", "--Services:Trainer=false",
            "--Services:Validation=false");
        Assert.Contains("Services:Rollout", problem);
        Assert.Empty(await _harness.StartProblems("--Services:Rollout=false", "--Services:Trainer=false", "--Services:Validation=false"));
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task The_retired_reference_reset_service_switch_is_refused_saying_what_replaced_it(string value)
    {
        var problem = await SingleProblem($"--Services:ReferenceReset={value}");
        Assert.StartsWith("Services:ReferenceReset is no longer an option", problem);
        Assert.Contains("ReferenceReset:Enabled=false", problem);
    }

    [Fact]
    public async Task Reference_reset_without_any_trigger_is_refused()
    {
        var problem = await SingleProblem("--ReferenceReset:StallEvaluations=", "--ReferenceReset:DropDelta=", "--ReferenceReset:KlShareThreshold=");
        Assert.Contains("ReferenceReset:EveryNSteps", problem);
        Assert.Empty(await _harness.StartProblems("--ReferenceReset:StallEvaluations=", "--ReferenceReset:DropDelta=",
            "--ReferenceReset:KlShareThreshold=", "--ReferenceReset:EveryNSteps=200"));
    }

    [Fact]
    public async Task Pass_at_k_above_the_samples_per_item_is_refused()
    {
        var problem = await SingleProblem("--Validation:SamplesPerItem=4", "--Validation:PassAtK:0=1", "--Validation:PassAtK:1=8");
        Assert.Contains("Validation:PassAtK:1", problem);
        Assert.Contains("Validation:SamplesPerItem", problem);
    }

    [Fact]
    public async Task Mixture_of_an_unknown_domain_is_refused_listing_the_domains()
    {
        var problem = await SingleProblem("--Tasks:Mixture:chess=1");
        Assert.Contains("Tasks:Mixture:chess", problem);
        Assert.Contains("math, code, stem, logic, ifeval", problem);
        Assert.Empty(await _harness.StartProblems("--Tasks:Mixture:logic/countdown=2"));
    }

    [Fact]
    public async Task Mixture_of_an_unknown_logic_family_is_refused_listing_the_families()
    {
        var problem = await SingleProblem("--Tasks:Mixture:logic/chess=1");
        Assert.Contains("unknown logic family 'chess'", problem);
        Assert.Contains("countdown", problem);
    }

    [Fact]
    public async Task Misspelt_option_is_refused_listing_the_known_ones()
    {
        var problem = await SingleProblem("--Algorithm:ClipHihg=0.3");
        Assert.Contains("Algorithm:ClipHihg is not an option", problem);
        Assert.Contains("ClipHigh", problem);
    }

    [Fact]
    public async Task Value_of_the_wrong_type_is_refused_naming_the_option()
    {
        var problem = await SingleProblem("--Run:Seed=abc");
        Assert.Contains("Run:Seed", problem);
    }

    [Fact]
    public async Task Several_invalid_sections_are_all_reported()
    {
        var problems = await _harness.StartProblems("--Algorithm:ClipLow=2", "--Optimizer:Beta2=1");
        Assert.Contains(problems, p => p.Contains("Algorithm:ClipLow"));
        Assert.Contains(problems, p => p.Contains("Optimizer:Beta2"));
    }

    [Fact]
    public async Task Cuda_needs_the_cuda_build()
    {
        var problem = await SingleProblem("--Model:ExecutionProvider=cuda");
        Assert.Contains("ProRLAccelerator=cuda", problem);
    }
}
