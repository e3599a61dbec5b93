// Package onnxpb holds the Go types of ONNX's protobuf schema, generated
// from the onnx.proto that Debian's libonnx-dev (ONNX 1.12.0, IR v8) ships.
// Files from newer exporters parse too: fields this schema lacks are kept as
// unknown fields.
//
// Regenerate with protoc (Debian protobuf-compiler) and protoc-gen-go
// (google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12) on PATH:
//
//	cp /usr/include/onnx/onnx.proto . && go generate
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/zkinfer/zkinfer/quant/onnx/onnxpb onnx.proto
