"""LSTM and GRU training on TensorFlow's fused CPU kernels, saved as standard Keras layers.

Keras' LSTM and GRU run a window as a loop of small ops per step, and on a CPU their time goes to
dispatching them. TensorFlow's BlockLSTM runs the whole sequence, and its gradient, in one op,
with the same arithmetic; its GRUBlockCell runs a GRU step in one op (benchmarks/kernel.py and
benchmarks/recurrent.py measure the gains). FusedLSTM and FusedGRU train with them on the weights
of an ordinary keras.layers.LSTMCell / GRUCell (kernel, recurrent_kernel, bias, in Keras'
layout); after training they are copied into the plain Keras model (models.plain()), which is
what is saved, evaluated and loaded: a `.keras` file needs no custom object.

GRUBlockCell computes the GRU whose reset gate applies before the recurrent product: Keras'
reset_after=False, which is therefore the GRU forecast builds (models.py). TensorFlow registers
no gradient for it; the one registered here is GRUBlockCellGrad's, as tf.contrib had it.

One kernel call keeps one core busy. Splitting each batch into two halves, two calls that
TensorFlow runs side by side, was measured on 2 cores (2026-12-07, sample MSFT, the protocol's
LSTM): 630 -> 410-500 ms an epoch alone, but 650-730 -> 760-840 with two trainings sharing the
cores, as compare's and tune's workers and the competitors' process do. Made to depend on the
thread count instead, it would make the weights depend on the worker count. So: one call.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from forecast.config import ModelConfig

if TYPE_CHECKING:
    import keras


def fusable(config: ModelConfig) -> bool:
    """What the fused kernels compute exactly: a one-way LSTM or GRU with tanh, without dropout
    inside the cell (BlockLSTM and GRUBlockCell have no dropout masks, and a fixed tanh)."""
    return (
        config.kind in ("lstm", "gru")
        and not config.bidirectional
        and config.activation == "tanh"
        and config.dropout == 0
        and config.recurrent_dropout == 0
    )


def fused_lstm(units: int, return_sequences: bool, kernel_regularizer: Any, name: str) -> keras.layers.Layer:
    import keras
    import tensorflow as tf

    class FusedLSTM(_fused_layer()):
        def states(self, x: Any, zeros: Any) -> Any:
            no_peephole = tf.zeros([units], dtype=x.dtype)
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
            return h

    cell = keras.layers.LSTMCell(units, kernel_regularizer=kernel_regularizer, name="lstm_cell")
    return FusedLSTM(cell, units, return_sequences, name)


def fused_gru(units: int, return_sequences: bool, kernel_regularizer: Any, name: str) -> keras.layers.Layer:
    import keras
    import tensorflow as tf

    _register_gru_gradient()

    class FusedGRU(_fused_layer()):
        def states(self, x: Any, zeros: Any) -> Any:
            # GRUBlockCell takes the input and recurrent kernels stacked ([x, h] rows), the reset
            # and update gates as one matrix in the order r, u, and the candidate's apart; Keras'
            # order is z (the update gate), r, h (the candidate).
            z, r, h = tf.split(tf.concat([self.cell.kernel, self.cell.recurrent_kernel], axis=0), 3, axis=1)
            bz, br, bh = tf.split(tf.convert_to_tensor(self.cell.bias), 3)
            w_ru, b_ru = tf.concat([r, z], axis=1), tf.concat([br, bz], axis=0)

            def step(state: Any, x_t: Any) -> Any:
                return tf.raw_ops.GRUBlockCell(x=x_t, h_prev=state, w_ru=w_ru, w_c=h, b_ru=b_ru, b_c=bh)[3]

            return tf.scan(step, x, initializer=zeros)

    cell = keras.layers.GRUCell(units, kernel_regularizer=kernel_regularizer, reset_after=False, name="gru_cell")
    return FusedGRU(cell, units, return_sequences, name)


@functools.cache
def _fused_layer() -> type:
    """What FusedLSTM and FusedGRU share: the weights of a Keras cell, built as Keras' layer
    builds them (the same initialisers in the same order, so one seed gives the same starting
    weights), and the kernel's time-major sequence of states, (steps, batch, units), from
    states(), turned back into Keras' output."""
    import keras
    import tensorflow as tf

    class Fused(keras.layers.Layer):
        def __init__(self, cell: Any, units: int, return_sequences: bool, name: str) -> None:
            super().__init__(name=name)
            self.cell, self.units, self.return_sequences = cell, units, return_sequences

        def build(self, input_shape: tuple[int, ...]) -> None:
            self.cell.build((input_shape[0], input_shape[-1]))

        def call(self, inputs: Any) -> Any:
            x = tf.transpose(inputs, [1, 0, 2])  # (steps, batch, features): the kernels' layout
            zeros = tf.zeros(tf.stack([tf.shape(inputs)[0], self.units]), dtype=inputs.dtype)
            h = self.states(x, zeros)
            return tf.transpose(h, [1, 0, 2]) if self.return_sequences else h[-1]

        def states(self, x: Any, zeros: Any) -> Any:
            raise NotImplementedError

        def get_config(self) -> dict[str, Any]:
            # What a traced graph is keyed by (kept.network_key), beside the variables' shapes;
            # the layer is never saved (models.plain() is).
            return {"name": self.name, "units": self.units, "return_sequences": self.return_sequences}

        def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int | None, ...]:
            if self.return_sequences:
                return (input_shape[0], input_shape[1], self.units)
            return (input_shape[0], self.units)

    return Fused


def _register_gru_gradient() -> None:
    """GRUBlockCell's gradient, once per process: GRUBlockCellGrad gives the gates' (the
    candidate's and the reset and update gates'); the weights' follow from the cell's inputs."""
    import tensorflow as tf

    if _REGISTERED:
        return

    def gradient(op: Any, *grads: Any) -> Any:
        x, h, w_ru, w_c, b_ru, b_c = op.inputs
        r, u, c, _ = op.outputs
        dx, dh, dc_bar, dru_bar = tf.raw_ops.GRUBlockCellGrad(
            x=x, h_prev=h, w_ru=w_ru, w_c=w_c, b_ru=b_ru, b_c=b_c, r=r, u=u, c=c, d_h=grads[3]
        )
        d_w_ru = tf.matmul(tf.concat([x, h], 1), dru_bar, transpose_a=True)
        d_w_c = tf.matmul(tf.concat([x, r * h], 1), dc_bar, transpose_a=True)
        return dx, dh, d_w_ru, d_w_c, tf.reduce_sum(dru_bar, 0), tf.reduce_sum(dc_bar, 0)

    tf.RegisterGradient("GRUBlockCell")(gradient)
    _REGISTERED.append(gradient)


_REGISTERED: list[Any] = []  # GRUBlockCell's gradient, once registered in this process
