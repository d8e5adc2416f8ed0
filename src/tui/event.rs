//! The one inbound channel of the TUI: keys, mouse, resizes, ticks and job events.

use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind, MouseEvent};

use crate::jobs::JobEvent;

/// Everything the UI thread reacts to.
#[derive(Debug, Clone)]
pub enum AppEvent {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passed: redraw clocks and ETAs.
    Tick,
    Job(JobEvent),
}

/// Reads terminal input on its own thread, sending it with a tick every `tick`; stops as
/// soon as the receiver is gone.
pub fn spawn_input_thread(
    tx: Sender<AppEvent>,
    tick: Duration,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("latent-input".into())
        .spawn(move || {
            let mut last_tick = Instant::now();
            loop {
                let timeout = tick.saturating_sub(last_tick.elapsed());
                let sent = match event::poll(timeout) {
                    Ok(true) => match event::read() {
                        Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                            tx.send(AppEvent::Key(k))
                        }
                        Ok(Event::Mouse(m)) => tx.send(AppEvent::Mouse(m)),
                        Ok(Event::Resize(w, h)) => tx.send(AppEvent::Resize(w, h)),
                        Ok(_) => Ok(()),
                        Err(_) => return,
                    },
                    Ok(false) => Ok(()),
                    Err(_) => return,
                };
                if sent.is_err() {
                    return;
                }
                if last_tick.elapsed() >= tick {
                    last_tick = Instant::now();
                    if tx.send(AppEvent::Tick).is_err() {
                        return;
                    }
                }
            }
        })
}
