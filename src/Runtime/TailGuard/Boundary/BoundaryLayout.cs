using System;
using System.ComponentModel;

namespace TailGuard.Boundary;

/// <summary>
/// The sizes a generated boundary needs, computed from the declared bounds: the frame (header, result and parameter
/// slots of the largest method), the data area (the largest method's buffers), and the callee's private scratch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class BoundaryLayout
{
    /// <summary>Creates the layout.</summary>
    /// <param name="contract">A stable description of the contract; it is part of the domain's measured code.</param>
    /// <param name="frameSize">The largest method's frame size.</param>
    /// <param name="dataSize">The largest method's buffers, aligned.</param>
    /// <param name="parameterCount">The most parameters any method has.</param>
    public BoundaryLayout(string contract, int frameSize, int dataSize, int parameterCount)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameSize, CallFrame.HeaderSize);
        ArgumentOutOfRangeException.ThrowIfNegative(dataSize);
        ArgumentOutOfRangeException.ThrowIfNegative(parameterCount);
        Contract = contract;
        FrameSize = CallFrame.Align(frameSize);
        DataSize = CallFrame.Align(dataSize);
        RegionSize = checked(FrameSize + DataSize);
        ScratchSize = checked(FrameSize + DataSize);
        SlotCount = FrameSize / CallFrame.Alignment;
    }

    /// <summary>A stable description of the contract (interface name and method signatures).</summary>
    public string Contract { get; }

    /// <summary>The frame's size: the callee copies exactly this many bytes out of the shared region, once per call.</summary>
    public int FrameSize { get; }

    /// <summary>The data area's size.</summary>
    public int DataSize { get; }

    /// <summary>The bytes of shared region a call needs.</summary>
    public int RegionSize { get; }

    /// <summary>The callee's private memory: the frame copy and the private copies of every buffer.</summary>
    public int ScratchSize { get; }

    /// <summary>How many 8-byte slots the frame has (the proxy remembers each buffer's offset by slot).</summary>
    public int SlotCount { get; }
}
