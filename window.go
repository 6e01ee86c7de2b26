//go:build !headless

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/sirupsen/logrus"
	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"ferry/backend/session"
)

// windowGeometry is remembered between starts; Wails does not keep it.
type windowGeometry struct{ W, H, X, Y int }

const geometryKey = "window"

// runWindow opens the desktop window. Nothing may have side effects before
// wails.Run: the bindings generator runs main() up to that point.
func runWindow() {
	if msg := displayProblem(hostOS, os.Getenv); msg != "" && !generatingBindings {
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
	defer func() {
		if r := recover(); r != nil {
			msg, ok := windowFailure(r)
			if !ok {
				panic(r)
			}
			fmt.Fprintln(os.Stderr, msg)
			os.Exit(1)
		}
	}()
	app := NewApp(nil, nil)
	geom := windowGeometry{W: 1280, H: 800}
	err := wails.Run(&options.App{
		Title:            "Ferry",
		Width:            geom.W,
		Height:           geom.H,
		MinWidth:         960,
		MinHeight:        600,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 0xf5, G: 0xf6, B: 0xf8, A: 0xff},
		OnStartup: func(ctx context.Context) {
			sess, err := session.Open(session.Options{Paths: session.DefaultPaths(), LogLevel: logrus.InfoLevel})
			if err != nil {
				wruntime.MessageDialog(ctx, wruntime.MessageDialogOptions{Type: wruntime.ErrorDialog, Title: "Ferry cannot start", Message: err.Error()})
				wruntime.Quit(ctx)
				return
			}
			*app = *NewApp(sess, func(name string, data any) { wruntime.EventsEmit(ctx, name, data) })
			app.dialogs = nativeDialogs{ctx}
			if raw, ok, _ := sess.Store.Preference(geometryKey); ok {
				var g windowGeometry
				if json.Unmarshal([]byte(raw), &g) == nil && g.W >= 960 && g.H >= 600 {
					wruntime.WindowSetSize(ctx, g.W, g.H)
					wruntime.WindowSetPosition(ctx, g.X, g.Y)
				}
			}
		},
		OnBeforeClose: func(ctx context.Context) bool {
			if app.sess != nil {
				var g windowGeometry
				g.W, g.H = wruntime.WindowGetSize(ctx)
				g.X, g.Y = wruntime.WindowGetPosition(ctx)
				b, _ := json.Marshal(g)
				app.sess.Store.SetPreference(geometryKey, string(b))
			}
			return false
		},
		// Wails never cancels the startup context: stop jobs here so they are
		// recorded as cancelled, not left running.
		OnShutdown: func(ctx context.Context) { app.shutdown() },
		Bind:       []any{app},
	})
	if err != nil {
		println("Error:", err.Error())
		os.Exit(1)
	}
}

// nativeDialogs are the GTK file choosers of the window.
type nativeDialogs struct{ ctx context.Context }

func (d nativeDialogs) OpenFile(title string) (string, error) {
	return wruntime.OpenFileDialog(d.ctx, wruntime.OpenDialogOptions{Title: title})
}

func (d nativeDialogs) SaveFile(title, defaultName string) (string, error) {
	return wruntime.SaveFileDialog(d.ctx, wruntime.SaveDialogOptions{Title: title, DefaultFilename: defaultName})
}
