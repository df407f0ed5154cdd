namespace TailGuard.Generators.TrustDomain.Model;

/// <summary>
/// One parameter: its name as written and as an identifier, how it crosses, its (element) type and bound, whether it is
/// declared <c>scoped</c>, and whether it is a nullable string (<c>string?</c>: a presence flag slot precedes it).
/// </summary>
internal sealed record BoundaryParameter(string Name, string Identifier, BoundaryKind Kind, string TypeName, string DeclaredType, int Bound, bool IsScoped = false, bool IsNullable = false);
