// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title RevocationBitmap
/// @notice Which credentials of one batch are revoked: one bit per leaf position, 256 positions
/// per storage word. Position `p` is bit `p & 0xff` of word `p >> 8`, the layout of OpenZeppelin's
/// `BitMaps`; verifiers read it a word at a time through the registry's `revocationWord`.
/// @dev Not OpenZeppelin's `BitMaps` itself: revoking a batch must read and write each word once
/// (a bit at a time would cost a warm read and write per index), so this library hands out words
/// and masks and the registry caches the word while it sets the bits of contiguous indices.
/// A struct around one mapping, like `BitMaps.BitMap`: it takes the slot a bare
/// `mapping(uint256 => uint256)` would, so `mapping(bytes32 => Bitmap)` is laid out in storage
/// exactly as `mapping(bytes32 => mapping(uint256 => uint256))`.
library RevocationBitmap {
    struct Bitmap {
        mapping(uint256 wordIndex => uint256 bits) _words;
    }

    /// @dev The index of the word that holds `position`, and `position`'s bit in it as a mask.
    function locate(uint256 position) internal pure returns (uint256 wordIndex, uint256 mask) {
        return (position >> 8, uint256(1) << (position & 0xff));
    }

    /// @dev Whether the bit at `position` is set.
    function get(Bitmap storage bitmap, uint256 position) internal view returns (bool) {
        (uint256 wordIndex, uint256 mask) = locate(position);
        return bitmap._words[wordIndex] & mask != 0;
    }

    /// @dev The 256 bits of positions `256 * wordIndex` to `256 * wordIndex + 255`, lowest first.
    function word(Bitmap storage bitmap, uint256 wordIndex) internal view returns (uint256 bits) {
        return bitmap._words[wordIndex];
    }

    /// @dev Stores a whole word, as read with {word} and changed with masks from {locate}.
    function setWord(Bitmap storage bitmap, uint256 wordIndex, uint256 bits) internal {
        bitmap._words[wordIndex] = bits;
    }
}
