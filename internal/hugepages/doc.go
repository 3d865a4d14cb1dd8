// Package hugepages asks Linux to back the Go heap with transparent huge
// pages when the host leaves them to the application
// (/sys/kernel/mm/transparent_hugepage/enabled = madvise, the default of
// Debian and Ubuntu).
//
// The Go runtime does not advise its heap (since Go 1.21.1), so on such a
// host every 4 KiB of heap is faulted in on its own and every scan of a
// large Arrow buffer walks 512 times more page-table entries than with
// 2 MiB pages. Ingest touches about seven bytes of fresh heap per byte of
// Arrow data it receives (the received copy, the WAL, the Parquet and index
// encoders), so this costs it a large share of its CPU: on a 2-core VM,
// `openwit bench ingest` spent half its user time less and faulted 45
// times less often with huge pages (docs/design/094-heap-huge-pages.md).
// Databases do the same for their own memory: the JVM's
// -XX:+UseTransparentHugePages and jemalloc's thp:always advise the heap
// in this mode.
//
// The runtime keeps its heap in a few large anonymous mappings that grow
// by mapping the next addresses. Advise finds them from the address of an
// object on the heap and the anonymous read-write mappings contiguous with
// it (read from /proc/self/maps), and marks them MADV_HUGEPAGE; Run does
// that again whenever the runtime has mapped more memory. The advice never
// changes what memory holds; with "always" or "never" the host decides and
// it changes nothing. The cost is memory: the kernel may hand out, and
// khugepaged may rebuild, a whole 2 MiB page where the heap had freed
// part of one, so the resident set can stay nearer its peak.
package hugepages
