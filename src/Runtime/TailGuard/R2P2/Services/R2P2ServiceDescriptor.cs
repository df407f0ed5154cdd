using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;

namespace TailGuard.R2P2;

/// <summary>
/// An <see cref="R2P2ServiceAttribute"/> service as the runtime sees it: its name, its methods and whether its requests
/// carry a trace context. The generated dispatcher exposes it (<see cref="IR2P2ServiceHandler.Service"/>), so a server
/// tags each request's duration and span with the method its id names.
/// </summary>
public sealed class R2P2ServiceDescriptor
{
    private readonly R2P2MethodDescriptor[] _byId;

    /// <summary>Creates the descriptor of a service.</summary>
    /// <param name="name">The service's name (the contract interface's full name).</param>
    /// <param name="methods">Its methods, each created with this <paramref name="name"/>, with distinct ids.</param>
    /// <param name="carriesTraceContext">
    /// Whether every request carries an <see cref="R2P2TraceContext"/> right after its method id
    /// (<c>[R2P2Service(TraceContext = true)]</c>).
    /// </param>
    /// <exception cref="ArgumentException">A method belongs to another service, or two share an id.</exception>
    public R2P2ServiceDescriptor(string name, IReadOnlyList<R2P2MethodDescriptor> methods, bool carriesTraceContext = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(methods);
        Name = name;
        CarriesTraceContext = carriesTraceContext;
        _byId = [.. methods.OrderBy(static method => method.Id)];
        for (var i = 0; i < _byId.Length; i++)
        {
            var method = _byId[i] ?? throw new ArgumentException("A method descriptor is null.", nameof(methods));
            if (method.ServiceName != name)
            {
                throw new ArgumentException($"The method {method} belongs to another service than {name}.", nameof(methods));
            }

            if (i > 0 && _byId[i - 1].Id == method.Id)
            {
                throw new ArgumentException($"The methods {_byId[i - 1].Name} and {method.Name} of {name} share the id 0x{method.Id:X4}.", nameof(methods));
            }
        }

        Methods = [.. methods];
        UnknownMethod = new R2P2MethodDescriptor(name, "(unknown)", 0);
    }

    /// <summary>The service's name.</summary>
    public string Name { get; }

    /// <summary>The methods, in declaration order.</summary>
    public IReadOnlyList<R2P2MethodDescriptor> Methods { get; }

    /// <summary>Whether every request carries an <see cref="R2P2TraceContext"/> after its method id.</summary>
    public bool CarriesTraceContext { get; }

    /// <summary>What a request whose id names no method (or too short for an id) is counted as: method <c>(unknown)</c>.</summary>
    internal R2P2MethodDescriptor UnknownMethod { get; }

    /// <summary>The method with wire id <paramref name="id"/>, or null.</summary>
    /// <param name="id">The wire id.</param>
    /// <returns>The method, or null when the service has none with that id.</returns>
    public R2P2MethodDescriptor? FindMethod(ushort id)
    {
        int low = 0, high = _byId.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var found = _byId[middle].Id;
            if (found == id)
            {
                return _byId[middle];
            }

            if (found < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>The method a request payload's first two bytes (its little-endian method id) name.</summary>
    internal R2P2MethodDescriptor Classify(in ReadOnlySequence<byte> payload)
    {
        Span<byte> id = stackalloc byte[sizeof(ushort)];
        if (payload.Length < id.Length)
        {
            return UnknownMethod;
        }

        payload.Slice(0, id.Length).CopyTo(id);
        return FindMethod(BinaryPrimitives.ReadUInt16LittleEndian(id)) ?? UnknownMethod;
    }
}
