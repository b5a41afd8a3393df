#pragma once
// The local queues' durability (lemu serve --sqs-state DIR): an append-only log of the store's changes in
// DIR, replayed into the store when it is constructed (store.hpp), and compacted into a snapshot when the
// log grows much larger than the state it describes.
//
// Files in DIR:
//   sqs.lock           flock()ed while a lemu uses DIR (it holds that lemu's pid): a second lemu is refused
//   sqs-snapshot.bin   the state at the last compaction (written to a temporary file, fsynced, renamed)
//   sqs-journal.log    every change since then
// The files are the user's only (mode 0600: messages may hold secrets). Both data files start with an 8-byte magic and a 64-bit generation; a log whose generation is older than
// the snapshot's was already compacted into it (a crash between the two renames) and is ignored.
// Every record is framed as [u32 length][u32 CRC-32 of the payload][payload], little-endian; the payload is
// the store's (the journal does not read it). A record longer than 2 MiB is corruption.
//
// Crashes and damage:
//   - a torn last record (a crash in the middle of a write, or of a machine) is dropped with a warning and
//     the log is cut back to the last whole record;
//   - a bad record with more data after it is corruption: replay stops there (a warning gives the offset),
//     the whole file is kept aside as sqs-journal.log.corrupt-<epoch ms>, and the state replayed so far is
//     written as a new snapshot. Nothing the user wrote is ever deleted silently.
//
// fsync_policy:
//   - always:   every append is fdatasync()ed before append() returns (survives a machine crash, slower);
//   - interval: (the default) every append is write()n before append() returns, so it survives a crash or
//               kill -9 of lemu; a background thread fdatasync()s the log at most once a second when it
//               changed, so a machine crash (power loss) can lose the last second of changes.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::sqs {

enum class fsync_policy { always, interval };

class journal {
public:
  static constexpr std::uint32_t max_record_bytes = 2U * 1024U * 1024U;

  // Opens (creating DIR and its files when missing) and locks DIR. nullptr with a one-line `error` when DIR
  // cannot be used: another lemu holds it ("… is in use by another lemu (pid N)"), or an I/O error.
  // Reads and checks the files; their records are handed over by replay().
  static std::unique_ptr<journal> open(const std::filesystem::path& dir, fsync_policy p, std::string& error);
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  // Every record of the state on disk, in order: the snapshot's, then the log's. Called once, by the
  // store's constructor.
  void replay(const std::function<void(std::string_view record)>& apply);
  // True when replay() met corruption: the store then writes its state with compact() at once.
  bool needs_snapshot() const;

  // Appends one record (at most max_record_bytes): written (fdatasync()ed too with fsync_policy::always)
  // before it returns. False on an I/O error (logged once; the store goes on in memory).
  bool append(std::string_view record);

  // Whether the log is worth compacting for a live state of about `live_bytes`: larger than 4 times it
  // and larger than 1 MiB.
  bool wants_compaction(std::uint64_t live_bytes) const;
  // Replaces the snapshot with `records` (temporary file, fdatasync, rename, directory fsync) and starts an
  // empty log of the next generation. False on an I/O error (logged; the old files stay as they were).
  bool compact(const std::vector<std::string>& records);

  // fdatasync()s the log now (the store's owner calls it when stopping).
  void sync();

  std::uint64_t log_bytes() const;
  const std::filesystem::path& dir() const;

private:
  journal();
  struct state;
  std::unique_ptr<state> m_state;
};

} // namespace lemu::sqs
