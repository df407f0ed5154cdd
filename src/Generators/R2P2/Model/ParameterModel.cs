namespace TailGuard.Generators.R2P2.Model;

/// <summary>A parameter of a service method: its name as declared (unescaped) and its type.</summary>
internal sealed record ParameterModel(string Name, ValueModel Value);
