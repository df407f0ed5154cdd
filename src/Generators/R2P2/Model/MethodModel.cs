using TailGuard.Generators.Common;

namespace TailGuard.Generators.R2P2.Model;

/// <summary>
/// A service method as the emitters need it. <see cref="Name"/> is the method's name as declared (unescaped);
/// <see cref="ClientName"/> is the async client method; for a method with a destination, <see cref="LeaseClientName"/>
/// is the lease-returning one (else empty). <see cref="Policy"/> is the effective wire routing policy (0..3).
/// <see cref="Cref"/> points at the contract method (the generated docs inherit from it); <see cref="Obsolete"/> is its
/// <c>[Obsolete]</c> rewritten for generated code, or "". <see cref="IsAsync"/>: the contract method returns
/// <c>ValueTask</c> or <c>ValueTask&lt;T&gt;</c> (<see cref="Return"/> is then the awaited result, or void), and the
/// dispatcher answers it through a deferred response when it does not complete synchronously.
/// <see cref="IsReadOnly"/>: marked <c>[ReadOnly]</c> (a replicated service runs it on one replica only).
/// </summary>
internal sealed record MethodModel(
    string Name,
    string ClientName,
    string LeaseClientName,
    ushort Id,
    bool IdIsExplicit,
    byte Policy,
    ValueModel Return,
    EquatableArray<ParameterModel> Parameters,
    string Cref,
    string Obsolete,
    bool IsAsync,
    bool IsReadOnly = false);
