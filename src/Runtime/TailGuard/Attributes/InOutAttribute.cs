using System;

namespace TailGuard;

/// <summary>
/// Marks a <see cref="Span{T}"/> parameter of a <see cref="TrustDomainAttribute"/> or <see cref="HostCallsAttribute"/>
/// method as in-out: its bytes are copied into the callee's private memory, the callee may change them, and the result
/// is copied back once after the call. Without it, a <see cref="Span{T}"/> is out only (the callee sees zeros).
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class InOutAttribute : Attribute
{
}
