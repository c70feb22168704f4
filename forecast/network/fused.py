"""LSTM training on TensorFlow's fused CPU kernel, saved as a standard Keras LSTM.

Keras' LSTM runs a window as a loop of small ops per step, and on a CPU its time goes to
dispatching them. TensorFlow's BlockLSTM runs the whole sequence, and its gradient, in one op,
with the same arithmetic (benchmarks/speed.py measures the gain). FusedLSTM trains with it on the
weights of an ordinary keras.layers.LSTMCell (kernel, recurrent_kernel, bias, in Keras' layout);
after training they are copied into the plain Keras model (models.plain()), which is what is saved,
evaluated and loaded: a `.keras` file needs no custom object.

One kernel call keeps one core busy. Splitting each batch into two halves, two calls that
TensorFlow runs side by side, was measured on 2 cores (2026-12-07, sample MSFT, the protocol's
LSTM): 630 -> 410-500 ms an epoch alone, but 650-730 -> 760-840 with two trainings sharing the
cores, as compare's and tune's workers and the competitors' process do. Made to depend on the
thread count instead, it would make the weights depend on the worker count. So: one call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forecast.config import ModelConfig

if TYPE_CHECKING:
    import keras


def fusable(config: ModelConfig) -> bool:
    """What the fused kernel computes exactly: a one-way LSTM with tanh, without dropout inside
    the cell (BlockLSTMV2 has no dropout masks, and a fixed tanh)."""
    return (
        config.kind == "lstm"
        and not config.bidirectional
        and config.activation == "tanh"
        and config.dropout == 0
        and config.recurrent_dropout == 0
    )


def fused_lstm(units: int, return_sequences: bool, kernel_regularizer: Any, name: str) -> keras.layers.Layer:
    import keras
    import tensorflow as tf

    class FusedLSTM(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__(name=name)
            # The cell owns the weights, created as keras.layers.LSTM creates them: the same
            # initialisers in the same order, so one seed gives the same starting weights.
            self.cell = keras.layers.LSTMCell(units, kernel_regularizer=kernel_regularizer, name="lstm_cell")

        def build(self, input_shape: tuple[int, ...]) -> None:
            self.cell.build((input_shape[0], input_shape[-1]))

        def call(self, inputs: Any) -> Any:
            x = tf.transpose(inputs, [1, 0, 2])  # (steps, batch, features): the kernel's layout
            zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], units]), dtype=inputs.dtype)
            no_peephole = tf.zeros([units], dtype=inputs.dtype)
            # BlockLSTM takes the input and recurrent kernels stacked, and its gates in the order
            # i, c, f, o; Keras' order is i, f, c, o. (BlockLSTMV2 takes Keras' order, but
            # TensorFlow registers BlockLSTM's gradient for it, which gets the gates wrong.)
            i, f, c, o = tf.split(tf.concat([self.cell.kernel, self.cell.recurrent_kernel], axis=0), 4, axis=1)
            bi, bf, bc, bo = tf.split(tf.convert_to_tensor(self.cell.bias), 4)
            *_, h = tf.raw_ops.BlockLSTM(
                seq_len_max=tf.cast(tf.shape(x)[0], tf.int64),
                x=x,
                cs_prev=zeros,
                h_prev=zeros,
                w=tf.concat([i, c, f, o], axis=1),
                wci=no_peephole,
                wcf=no_peephole,
                wco=no_peephole,
                b=tf.concat([bi, bc, bf, bo], axis=0),
                forget_bias=0.0,
                cell_clip=-1.0,
                use_peephole=False,
            )
            return tf.transpose(h, [1, 0, 2]) if return_sequences else h[-1]

        def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int | None, ...]:
            return (input_shape[0], input_shape[1], units) if return_sequences else (input_shape[0], units)

    return FusedLSTM()
