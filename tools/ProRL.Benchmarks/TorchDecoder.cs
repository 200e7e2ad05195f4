using ProRL.Onnx.Graph;
using ProRL.Rollout.ModelGeneration;
using TorchSharp;
using static TorchSharp.torch;

namespace ProRL.Benchmarks;

/// <summary>
/// The peer: the same Qwen2-style decoder as <see cref="ModelGenerator"/> writes, in libtorch (TorchSharp), with the
/// weights read from the generated model.onnx so that both sides compute the same function. Forward, the ProRL
/// policy loss and autograd backward, as our training graph does.
/// </summary>
internal sealed class TorchDecoder : IDisposable
{
    private readonly DecoderSpec _spec;
    private readonly Dictionary<string, Tensor> _w = new();
    private readonly Tensor _cos, _sin;

    private readonly int _realTokens;

    /// <param name="realTokens">Tokens the tokenizer has: logits of rows at or past it get −1e4 added, as our graphs do for a
    /// vocabulary padded beyond the tokenizer (those rows are never sampled).</param>
    public TorchDecoder(DecoderSpec spec, OnnxModel model, int realTokens)
    {
        _spec = spec;
        _realTokens = realTokens;
        foreach (var t in model.Graph.Initializers)
        {
            if (t.DataType != ProRL.Onnx.Tensors.TensorDataType.Float) continue;
            var values = t.ToFloats();
            var tensor = torch.tensor(values, t.Dims.Length == 0 ? [] : t.Dims);
            bool trainable = t.Name is not ("cos_cache" or "sin_cache");
            _w[t.Name] = trainable ? tensor.requires_grad_(true) : tensor;
        }
        _cos = _w["cos_cache"];
        _sin = _w["sin_cache"];
    }

    public IEnumerable<Tensor> Parameters => _w.Where(p => p.Value.requires_grad).Select(p => p.Value);

    private static Tensor RmsNorm(Tensor x, Tensor weight, float eps) =>
        x * torch.rsqrt(x.pow(2).mean([-1], keepdim: true) + eps) * weight;

    /// <summary>Rotates the halves of the last axis (non-interleaved rotary), positions 0..T−1.</summary>
    private Tensor Rotary(Tensor x, int t)
    {
        int half = _spec.HeadSize / 2;
        var cos = _cos.narrow(0, 0, t).view(1, 1, t, half);
        var sin = _sin.narrow(0, 0, t).view(1, 1, t, half);
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1);
    }

    public Tensor Logits(Tensor inputIds)
    {
        long b = inputIds.shape[0], t = inputIds.shape[1];
        int h = _spec.Hidden, nh = _spec.Heads, nkv = _spec.KvHeads, hd = _spec.HeadSize, group = nh / nkv;
        var embed = _w.TryGetValue("model.embed_tokens.weight", out var e) ? e : _w["lm_head.MatMul.weight"].t();
        var residual = embed.index_select(0, inputIds.view(-1)).view(b, t, h);
        var causal = torch.ones(t, t, dtype: ScalarType.Bool).tril();
        Tensor? skip = null;
        for (int l = 0; l < _spec.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            if (skip is not null) residual = residual + skip;
            var x = RmsNorm(residual, _w[p + "input_layernorm.weight"], _spec.RmsNormEpsilon);
            var qkv = x.matmul(_w[p + "attn.qkv_proj.MatMul.weight"]);
            if (_w.TryGetValue(p + "attn.qkv_proj.Add.bias", out var bias)) qkv = qkv + bias;
            var q = qkv.narrow(-1, 0, h).view(b, t, nh, hd).transpose(1, 2);
            var k = qkv.narrow(-1, h, nkv * hd).view(b, t, nkv, hd).transpose(1, 2);
            var v = qkv.narrow(-1, h + nkv * hd, nkv * hd).view(b, t, nkv, hd).transpose(1, 2);
            q = Rotary(q, (int)t);
            k = Rotary(k, (int)t);
            k = k.repeat_interleave(group, 1);
            v = v.repeat_interleave(group, 1);
            var scores = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(hd));
            scores = scores.masked_fill(causal.logical_not(), float.NegativeInfinity);
            var attn = scores.softmax(-1).matmul(v).transpose(1, 2).reshape(b, t, h);
            var o = attn.matmul(_w[p + "attn.o_proj.MatMul.weight"]);
            residual = residual + o;
            x = RmsNorm(residual, _w[p + "post_attention_layernorm.weight"], _spec.RmsNormEpsilon);
            var gate = x.matmul(_w[p + "mlp.gate_proj.MatMul.weight"]);
            var up = x.matmul(_w[p + "mlp.up_proj.MatMul.weight"]);
            skip = (gate * gate.sigmoid() * up).matmul(_w[p + "mlp.down_proj.MatMul.weight"]);
        }
        residual = residual + skip!;
        var final = RmsNorm(residual, _w[$"model.layers.{_spec.Layers}.final_norm_layernorm.weight"], _spec.RmsNormEpsilon);
        var logits = final.matmul(_w["lm_head.MatMul.weight"]);
        if (_realTokens >= _spec.VocabSize) return logits;
        using var mask = torch.zeros(_spec.VocabSize);
        mask.narrow(0, _realTokens, _spec.VocabSize - _realTokens).fill_(-1e4f);
        return logits + mask;
    }

    /// <summary>Next-token log-probabilities [B, T−1] at <paramref name="temperature"/>.</summary>
    public Tensor Logprobs(Tensor inputIds, float temperature)
    {
        long t = inputIds.shape[1];
        var logits = Logits(inputIds).narrow(1, 0, t - 1) / temperature;
        var targets = inputIds.narrow(1, 1, t - 1).unsqueeze(-1);
        return logits.log_softmax(-1).gather(-1, targets).squeeze(-1);
    }

    /// <summary>The ProRL loss the training graph computes: clipped surrogate + k3 KL, token-mean over the mask.</summary>
    public Tensor PolicyLoss(Tensor inputIds, Tensor mask, Tensor oldLogprobs, Tensor refLogprobs, Tensor advantages,
        float temperature, float clipLow, float clipHigh, float klCoef)
    {
        var logp = Logprobs(inputIds, temperature);
        var ratio = (logp - oldLogprobs).exp();
        var pg = torch.maximum(-advantages * ratio, -advantages * ratio.clamp(1 - clipLow, 1 + clipHigh));
        var d = refLogprobs - logp;
        var kl = (d.exp() - d - 1).clamp(-10, 10);
        var perToken = pg + klCoef * kl;
        return (perToken * mask).sum() / mask.sum();
    }

    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.grad?.zero_();
    }

    public void Dispose()
    {
        foreach (var t in _w.Values) t.Dispose();
    }
}
