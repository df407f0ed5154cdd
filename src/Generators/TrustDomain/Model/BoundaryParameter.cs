namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>One parameter: its name as written and as an identifier, how it crosses, its (element) type and bound.</summary>
internal sealed record BoundaryParameter(string Name, string Identifier, BoundaryKind Kind, string TypeName, string DeclaredType, int Bound);
