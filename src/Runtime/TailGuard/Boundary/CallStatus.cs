namespace TailGuard.Boundary;

/// <summary>
/// The outcome of one call across a trust boundary, written by the callee into the frame's status field
/// (<see cref="CallFrame.StatusOffset"/>). Anything but <see cref="Ok"/> fails the call on the caller's side with
/// <see cref="BoundaryViolationException"/>.
/// </summary>
public enum CallStatus
{
    /// <summary>The call ran and its results were written.</summary>
    Ok = 0,

    /// <summary>The frame names a method the callee does not have.</summary>
    UnknownMethod = 1,

    /// <summary>A buffer's offset and length do not lie entirely inside the shared region's data area (B3, B7).</summary>
    BufferOutOfRange = 2,

    /// <summary>A buffer or string is longer than its declared bound.</summary>
    LengthOverBound = 3,

    /// <summary>A size computation overflowed (B4).</summary>
    SizeOverflow = 4,

    /// <summary>A byte length is not a multiple of the element size (B4).</summary>
    NotElementMultiple = 5,

    /// <summary>A string lacks its terminator, holds an early NUL, or is not valid UTF-8 (B6).</summary>
    InvalidString = 6,

    /// <summary>The implementation threw; the exception does not cross the boundary.</summary>
    ImplementationFault = 7,

    /// <summary>
    /// What came back is malformed: an unknown status, a returned length other than the one asked for, or a returned
    /// value with a bit pattern its type does not allow (B9).
    /// </summary>
    MalformedReply = 8,

    /// <summary>An argument has a bit pattern its type does not allow: a <see cref="decimal"/> with a scale above 28 or reserved bits set.</summary>
    InvalidValue = 9,

    /// <summary>
    /// The callee has stopped serving for good and ran nothing: a trust domain whose private memory is no longer a carved,
    /// exclusive region zeroed on revocation at the address it was given (the caller sees <see cref="BoundaryRevokedException"/>).
    /// </summary>
    Stopped = 10,

    /// <summary>The caller wrote this before switching; seeing it afterwards means the callee never answered.</summary>
    Pending = 0x7FFF_FFFF,
}
