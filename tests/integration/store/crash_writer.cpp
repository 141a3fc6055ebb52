// Helper for the crash tests: commits forever to the store named by argv[1] and, after each commit
// has returned success, writes its sequence number as one line to stdout (a pipe to the test).
// The test SIGKILLs it at some point and checks that every number it read is in the store.
//
//   tessera-store-crash-writer URL
//
// Commit i puts crash/k<i> (precondition absent) with an outbox event. Exits 2 on a failed open,
// 3 when a commit fails (e.g. the Redis server was killed first).
#include <tessera/store/store.hpp>

#include <unistd.h>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s URL\n", argv[0]);
        return 2;
    }
    auto store = tessera::store::Store::open(argv[1]);
    if (!store) {
        std::fprintf(stderr, "crash writer: %s\n", store.error().to_string().c_str());
        return 2;
    }
    const std::string body(512, 'x');
    for (unsigned long i = 1;; ++i) {
        const std::string id = "k" + std::to_string(i);
        tessera::store::Event event;
        event.collection = "crash";
        event.document_id = id;
        event.action = "created";
        event.data = "\"" + body + "\"";
        tessera::store::Batch batch;
        batch.ops.push_back(tessera::store::Op::put("crash", id, event.data, tessera::store::Precondition::absent()));
        batch.events.push_back(event);
        auto done = (*store)->commit(batch);
        if (!done) {
            std::fprintf(stderr, "crash writer: commit %lu: %s\n", i, done.error().to_string().c_str());
            return 3;
        }
        // Acknowledged: only now may the test count on it. One write(2) per line, unbuffered, so
        // what the test reads is exactly what was acknowledged before the kill.
        const std::string line = std::to_string(i) + "\n";
        if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 4;
    }
}
