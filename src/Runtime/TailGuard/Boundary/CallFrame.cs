using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace TailGuard.Boundary;

/// <summary>
/// The layout of a call frame at the start of the shared region (all fields little-endian, see docs/trust-boundary.md):
/// <c>u32 method id | i32 status | 8 reserved | result slot | one slot per parameter</c>, then the data area where
/// buffers live. A scalar slot holds the value, padded to 8 bytes; a buffer or string slot is a descriptor
/// <c>u32 offset | u32 byte length</c>, the offset relative to the region's start and never inside the frame.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CallFrame
{
    /// <summary>Where the method id lives.</summary>
    public const int MethodIdOffset = 0;

    /// <summary>Where the status lives (<see cref="CallStatus"/>).</summary>
    public const int StatusOffset = 4;

    /// <summary>The header's size; the result slot starts here.</summary>
    public const int HeaderSize = 16;

    /// <summary>The size of a buffer or string descriptor slot.</summary>
    public const int DescriptorSize = 8;

    /// <summary>Every slot and every buffer in the data area starts at a multiple of this.</summary>
    public const int Alignment = 8;

    /// <summary>The slot size of a scalar of type <typeparamref name="T"/> (its size rounded up to 8).</summary>
    /// <typeparam name="T">The scalar's type.</typeparam>
    /// <returns>The slot size in bytes.</returns>
    public static int SlotSize<T>()
        where T : unmanaged => Align(Unsafe.SizeOf<T>());

    /// <summary>Rounds a size up to <see cref="Alignment"/>.</summary>
    /// <param name="size">A non-negative size.</param>
    /// <returns>The rounded size.</returns>
    public static int Align(int size) => checked((size + (Alignment - 1)) & ~(Alignment - 1));

    /// <summary>The bytes a buffer of <paramref name="maxCount"/> elements of <typeparamref name="T"/> may take, aligned.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="maxCount">The declared bound.</param>
    /// <returns>The aligned byte size.</returns>
    public static int BufferSize<T>(int maxCount)
        where T : unmanaged => Align(checked(maxCount * Unsafe.SizeOf<T>()));

    /// <summary>The bytes a string bounded by <paramref name="maxBytes"/> UTF-8 bytes takes with its terminator, aligned.</summary>
    /// <param name="maxBytes">The declared bound.</param>
    /// <returns>The aligned byte size.</returns>
    public static int StringSize(int maxBytes) => Align(checked(maxBytes + 1));
}
