// Package tape finds, controls and simulates LTO tape drives under Linux's
// st driver.
//
// Drives (inventory.go) is what `ferry drives` and the Drives page use:
// list drives with their status, resolve what an operator typed, rewind,
// eject, position and set the block size, with the driver's errors turned
// into messages an operator can act on (Problem, CheckWritable).
//
// Discover lists drives from sysfs (/sys/class/scsi_tape) with their vendor,
// model, serial, defaults and I/O counters; Throughput turns two counter
// samples into MB/s, and a Meter keeps the previous sample so that whoever
// polls (a progress line, the Drives page) gets a rate at each call.
//
// Open and OpenStatus return a Device, which issues the st ioctls
// (MTIOCGET, MTIOCTOP, MTIOCPOS) for status and positioning and reads and
// writes one record per call. Simulator is a drive holding an in-memory
// Medium; its Open returns a Device that follows the driver's documented
// behaviour (simhandle.go), so every tape code path is tested without
// hardware. RecordReader reads variable-length records of any size as a
// byte stream.
//
// cartridge.go holds what writing archives on cartridges needs beyond a
// Device: IsDrive, OpenRead (variable-block reading), FinishWrite (the
// filemark and, before the next cartridge, the eject), WriteNearEnd (the
// last records past the early-warning mark) and Unload.
package tape
