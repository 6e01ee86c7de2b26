// Package tape finds, controls and simulates LTO tape drives under Linux's
// st driver.
//
// Discover lists drives from sysfs (/sys/class/scsi_tape) with their vendor,
// model, serial, defaults and I/O counters; Throughput turns two counter
// samples into MB/s. Open and OpenStatus return a Device, which issues the
// st ioctls (MTIOCGET, MTIOCTOP, MTIOCPOS) for status and positioning and
// reads and writes one record per call. Simulator is a drive holding an
// in-memory Medium; its Open returns a Device that follows the driver's
// documented behaviour, so every tape code path is tested without hardware. RecordReader reads
// variable-length records of any size as a byte stream.
package tape
