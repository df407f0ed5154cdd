using System;
using System.Collections.Generic;

namespace TailGuard.R2P2;

/// <summary>
/// One method of an <see cref="R2P2ServiceAttribute"/> service as metrics and traces name it: its service, its name
/// and its wire id (docs/wire-format.md, "Method ids"). Generated clients and dispatchers create one per method, once;
/// it holds the pre-built tag lists that let every call record its duration without allocating.
/// </summary>
public sealed class R2P2MethodDescriptor
{
    private readonly KeyValuePair<string, object?>[][] _tags;

    /// <summary>Creates the descriptor of a method.</summary>
    /// <param name="serviceName">The service's name (the contract interface's full name).</param>
    /// <param name="name">The method's name as declared.</param>
    /// <param name="id">The method's wire id.</param>
    public R2P2MethodDescriptor(string serviceName, string name, ushort id)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ServiceName = serviceName;
        Name = name;
        Id = id;
        FullName = serviceName + "/" + name;
        _tags = new KeyValuePair<string, object?>[R2P2Outcomes.Count][];
        for (var outcome = 0; outcome < _tags.Length; outcome++)
        {
            _tags[outcome] =
            [
                new(R2P2Tags.Service, serviceName),
                new(R2P2Tags.Method, name),
                new(R2P2Tags.Outcome, R2P2Outcomes.Name((R2P2Outcome)outcome)),
            ];
        }
    }

    /// <summary>The service's name (the contract interface's full name).</summary>
    public string ServiceName { get; }

    /// <summary>The method's name.</summary>
    public string Name { get; }

    /// <summary>The method's wire id.</summary>
    public ushort Id { get; }

    /// <summary><c>{service}/{method}</c>: the name of the method's spans.</summary>
    public string FullName { get; }

    /// <inheritdoc/>
    public override string ToString() => FullName;

    /// <summary>The service, method and outcome tags of one measurement (built once, never per call).</summary>
    internal ReadOnlySpan<KeyValuePair<string, object?>> Tags(R2P2Outcome outcome) => _tags[(int)outcome];
}
